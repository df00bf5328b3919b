"""What runs in a kernel: the Python API for notebook cells and the console widget."""
