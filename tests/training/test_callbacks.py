"""The bridge from the trainer's log events to the observers: namespaced keys, main process only."""

from types import SimpleNamespace

from components.training.callbacks import ObserverCallback, namespaced


class Recorder:
    def __init__(self):
        self.logged = []

    def log_metrics(self, metrics, step):
        self.logged.append((step, metrics))


def test_trl_reward_keys_become_reward_keys_and_the_rest_goes_under_train():
    logs = {"rewards/answer/mean": 0.5, "loss": 0.1, "eval/accuracy": 0.7, "cost/usd": 0.0, "note": "text"}
    assert namespaced(logs) == {"reward/answer": 0.5, "train/loss": 0.1, "eval/accuracy": 0.7, "cost/usd": 0.0}


def test_only_the_main_process_logs():
    observer = Recorder()
    callback = ObserverCallback(observer)
    callback.on_log(None, SimpleNamespace(is_world_process_zero=False, global_step=3), None, logs={"loss": 1.0})
    assert observer.logged == []
    callback.on_log(None, SimpleNamespace(is_world_process_zero=True, global_step=4), None, logs={"loss": 1.0})
    assert observer.logged == [(4, {"train/loss": 1.0})]
