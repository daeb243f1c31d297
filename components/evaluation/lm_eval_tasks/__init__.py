"""Local lm-evaluation-harness tasks (the rlvr_*.yaml files) and their hooks (utils.py): see components/evaluation/lm_eval_harness.py."""
