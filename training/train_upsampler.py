#!/usr/bin/env python3
"""Train the Shapes-world upsampler stage (see unclip_training/train_upsampler.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.train_upsampler import main

if __name__ == "__main__":
    main()
