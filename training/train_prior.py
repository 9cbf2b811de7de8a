#!/usr/bin/env python3
"""Train the Shapes-world prior stage (see unclip_training/train_prior.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.train_prior import main

if __name__ == "__main__":
    main()
