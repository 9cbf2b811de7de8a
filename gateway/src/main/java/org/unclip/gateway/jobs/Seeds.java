package org.unclip.gateway.jobs;

import java.util.random.RandomGenerator;

/**
 * Seeds of the images of one request.
 *
 * <p>Image 0 gets the request's seed unchanged; image {@code i >= 1} gets {@code splitmix64(seed +
 * i) & (2^53 - 1)} (64-bit wrapping addition). Because every image reports its own seed, sending
 * that seed back with {@code n = 1} reproduces the image. Derived and randomly drawn seeds are kept
 * below 2^53 so that they survive JSON parsers that read numbers as doubles (JavaScript); a seed a
 * client chooses may be any 64-bit integer.
 */
public final class Seeds {

    /** Largest seed the gateway hands out itself: 2^53 - 1. */
    public static final long MAX_GENERATED_SEED = (1L << 53) - 1;

    private Seeds() {}

    /** The seed of image {@code index} of a request whose image 0 has seed {@code seed}. */
    public static long derive(long seed, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, got " + index);
        }
        return index == 0 ? seed : splitmix64(seed + index) & MAX_GENERATED_SEED;
    }

    /** Seeds of images {@code 0..n-1}. */
    public static long[] forImages(long seed, int n) {
        long[] seeds = new long[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = derive(seed, i);
        }
        return seeds;
    }

    /** A fresh seed in {@code [0, 2^53)} for a request that named none. */
    public static long draw(RandomGenerator random) {
        return random.nextLong() & MAX_GENERATED_SEED;
    }

    /** Steele, Lea and Flood's SplitMix64 finaliser, the same mixer the samplers use for noise. */
    public static long splitmix64(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
