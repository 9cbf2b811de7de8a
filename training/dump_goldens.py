#!/usr/bin/env python3
"""Dump Java parity goldens (see unclip_training/dump_goldens.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.dump_goldens import main

if __name__ == "__main__":
    main()
