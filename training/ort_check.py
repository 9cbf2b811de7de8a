#!/usr/bin/env python3
"""Check a family's ONNX graphs with ONNX Runtime via Java (see unclip_training/ort_check.py)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unclip_training.ort_check import main

if __name__ == "__main__":
    main()
