#!/usr/bin/env python3
"""Train the Shapes-world decoder stage (see unclip_training/train_decoder.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.train_decoder import main

if __name__ == "__main__":
    main()
