"""`python -m serve`: compose conf/serve.yaml (the training groups + `serve:`), then run uvicorn on the app.

python -m serve model_component=tiny_random serve.port=8123
python -m serve serve.run_dir=<a finished training run>
"""

from __future__ import annotations

import logging
import sys

import hydra
from omegaconf import DictConfig

from components.runtime import bracket_indices_to_dots

log = logging.getLogger("serve")


@hydra.main(config_path="../conf", config_name="serve", version_base="1.3")
def main(cfg: DictConfig) -> None:
    import uvicorn

    from serve.app import create_app

    try:
        app = create_app(cfg)
    except ValueError as err:  # bad config: one line naming the key, no traceback
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    settings = app.state.settings
    log.info("Serving on http://%s:%d (docs at /docs)", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False)


if __name__ == "__main__":
    sys.argv = bracket_indices_to_dots(sys.argv)
    main()
