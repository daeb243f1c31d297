"""The sandbox that runs untrusted model-written programs in a separate process (code reward, python tool)."""
