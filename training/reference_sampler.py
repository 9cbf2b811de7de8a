#!/usr/bin/env python3
"""PyTorch reference cascade (see unclip_training/reference_sampler.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.reference_sampler import main

if __name__ == "__main__":
    main()
