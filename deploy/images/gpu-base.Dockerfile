# A base image for the GPU stage images (deploy/Dockerfile with ONNX_VARIANT=gpu): NVIDIA's CUDA 12
# runtime with cuDNN 9, which ONNX Runtime 1.23's onnxruntime_gpu needs (libcublasLt.so.12,
# libcudnn.so.9, ...), plus a JRE 17 whose runtime image holds jdk.jartool (the build stage's `jar`)
# and groupadd/useradd. linux/amd64 only. Untested here: no GPU and no NVIDIA registry were at hand.
#
#   podman build --platform linux/amd64 -f deploy/images/gpu-base.Dockerfile -t unclip/jre17-cuda12:latest deploy/images
#   deploy/images/build.sh --gpu --base unclip/jre17-cuda12:latest
#
# CUDA_IMAGE: any nvidia/cuda 12.x "cudnn-runtime" image (CUDA minor versions are compatible).

ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
FROM ${CUDA_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
