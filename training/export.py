#!/usr/bin/env python3
"""Export a model family folder (see unclip_training/export.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.export import main

if __name__ == "__main__":
    main()
