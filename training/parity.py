#!/usr/bin/env python3
"""Write a family's parity.json (see unclip_training/parity.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.parity import main

if __name__ == "__main__":
    main()
