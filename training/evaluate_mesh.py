#!/usr/bin/env python3
"""See unclip_training/evaluate_mesh.py."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.evaluate_mesh import main

if __name__ == "__main__":
    main()
