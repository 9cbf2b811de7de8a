package org.unclip.gateway.shapes;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** A caption of the Shapes-world grammar, parsed; attributes a one-object caption omits are empty. */
sealed interface Caption {

    String background();

    record OneObject(
            String background,
            String color,
            String shape,
            Optional<String> size,
            Optional<String> position)
            implements Caption {}

    record TwoObjects(String background, Relation relation, String color1, String shape1, String color2, String shape2)
            implements Caption {}

    enum Relation {
        LEFT_OF("to the left of"),
        ABOVE("above");

        final String phrase;

        Relation(String phrase) {
            this.phrase = phrase;
        }
    }

    /** Parses a grammar caption; throws IllegalArgumentException for anything else. */
    static Caption parse(String text) {
        List<String> w = Arrays.asList(text.toLowerCase().trim().split("\\s+"));
        if (w.size() < 7 || !w.get(0).equals("a") || !w.subList(w.size() - 1, w.size()).equals(List.of("background"))
                || !w.subList(w.size() - 4, w.size() - 2).equals(List.of("on", "a"))) {
            throw new IllegalArgumentException("not a Shapes-world caption: " + text);
        }
        String background = color(w.get(w.size() - 2), text);
        List<String> subject = w.subList(1, w.size() - 4);
        for (Relation relation : Relation.values()) {
            List<String> rel = List.of(relation.phrase.split(" "));
            if (subject.size() == 2 + rel.size() + 3 && subject.subList(2, 2 + rel.size()).equals(rel)
                    && subject.get(2 + rel.size()).equals("a")) {
                int second = 3 + rel.size();
                return new TwoObjects(background, relation, color(subject.get(0), text), shape(subject.get(1), text),
                        color(subject.get(second), text), shape(subject.get(second + 1), text));
            }
        }
        int i = 0;
        Optional<String> size = Optional.empty();
        if (!subject.isEmpty() && ShapesWorld.SIZES.contains(subject.get(0))) {
            size = Optional.of(subject.get(0));
            i = 1;
        }
        if (subject.size() < i + 2) {
            throw new IllegalArgumentException("not a Shapes-world caption: " + text);
        }
        String color = color(subject.get(i), text);
        String shape = shape(subject.get(i + 1), text);
        String rest = String.join(" ", subject.subList(i + 2, subject.size()));
        Optional<String> position = Optional.empty();
        if (!rest.isEmpty()) {
            int p = ShapesWorld.POSITION_PHRASES.indexOf(rest);
            if (p < 0) {
                throw new IllegalArgumentException("not a Shapes-world caption: " + text);
            }
            position = Optional.of(ShapesWorld.POSITIONS.get(p));
        }
        return new OneObject(background, color, shape, size, position);
    }

    private static String color(String word, String text) {
        if (!ShapesWorld.COLORS.contains(word)) {
            throw new IllegalArgumentException("unknown colour '" + word + "' in: " + text);
        }
        return word;
    }

    private static String shape(String word, String text) {
        if (!ShapesWorld.SHAPES.contains(word)) {
            throw new IllegalArgumentException("unknown shape '" + word + "' in: " + text);
        }
        return word;
    }
}
