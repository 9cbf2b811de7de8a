/** PNG encoding and decoding, and the torch-compatible antialiased bicubic resize between stages. */
package org.unclip.core.image;
