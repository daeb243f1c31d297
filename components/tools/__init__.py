"""Tools the policy can call during rollouts (multi-turn): calculator, sandboxed Python, corpus lookup."""
