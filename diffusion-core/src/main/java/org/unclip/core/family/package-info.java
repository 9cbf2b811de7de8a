/** A model family folder as described by its family.json, parsed by a small JSON reader of its own. */
package org.unclip.core.family;
