#!/usr/bin/env python3
"""See unclip_training/diagnose_cascade.py."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.diagnose_cascade import main

if __name__ == "__main__":
    main()
