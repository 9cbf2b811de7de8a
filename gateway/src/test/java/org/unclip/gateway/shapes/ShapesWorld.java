package org.unclip.gateway.shapes;

import java.util.List;

/** The closed vocabularies of the Shapes world (../shared/DESIGN.md §3), in the training code's order. */
final class ShapesWorld {

    static final List<String> COLORS =
            List.of("red", "green", "blue", "yellow", "purple", "orange", "white", "black");
    static final int[][] PALETTE = {
        {220, 40, 40}, {40, 170, 60}, {40, 80, 220}, {240, 210, 40},
        {150, 60, 190}, {245, 140, 30}, {245, 245, 245}, {20, 20, 20}
    };
    static final List<String> SHAPES = List.of("circle", "square", "triangle");
    static final List<String> SIZES = List.of("small", "large");
    static final List<String> POSITIONS = List.of("center", "left", "right", "top", "bottom");
    static final double[][] POSITION_XY = {{0.50, 0.50}, {0.27, 0.50}, {0.73, 0.50}, {0.50, 0.27}, {0.50, 0.73}};
    static final List<String> POSITION_PHRASES =
            List.of("in the center", "on the left", "on the right", "at the top", "at the bottom");

    private ShapesWorld() {}
}
