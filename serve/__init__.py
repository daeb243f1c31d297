"""Serve a trained model over HTTP: `python -m serve` (see conf/serve.yaml) or `uvicorn --factory serve.app:app_from_env`.

Importing this package loads no model and no web framework; `create_app` builds the app and its lifespan
loads the model.
"""
