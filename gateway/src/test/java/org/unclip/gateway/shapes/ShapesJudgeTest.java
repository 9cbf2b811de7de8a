package org.unclip.gateway.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java checker against the Python one: shapes-judge/judge-golden.tsv holds what
 * training/unclip_training/judge.py reads from each render (written by unclip_training.goldens).
 */
class ShapesJudgeTest {

    record Golden(String file, String caption, String background, String objects, boolean ok, boolean okForOther) {
        @Override
        public String toString() {
            return file + " " + caption;
        }
    }

    static Stream<Golden> goldens() {
        try (InputStream in = resource("judge-golden.tsv")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .map(l -> l.split("\t", -1))
                    .map(f -> new Golden(f[0], f[1], f[2], f[3], Boolean.parseBoolean(f[4]), Boolean.parseBoolean(f[5])))
                    .toList()
                    .stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void readsEachRenderAsThePythonCheckerDoes(Golden golden) {
        BufferedImage image = image(golden.file());

        ShapesJudge.Analysis analysis = ShapesJudge.analyse(image);

        assertThat(analysis.background()).isEqualTo(golden.background());
        String objects = analysis.objects().stream()
                .map(o -> o.color() + ":" + o.shape() + ":" + o.size() + ":" + o.position())
                .collect(Collectors.joining(";"));
        assertThat(objects).isEqualTo(golden.objects());
    }

    @Test
    void judgesRendersRightForTheirCaptionAndWrongForOthers() {
        var goldens = goldens().toList();
        for (int i = 0; i < goldens.size(); i++) {
            Golden g = goldens.get(i);
            String other = goldens.get((i + 1) % goldens.size()).caption();
            BufferedImage image = image(g.file());
            assertThat(ShapesJudge.judge(image, g.caption()).ok()).as(g.file() + " vs " + g.caption()).isEqualTo(g.ok());
            assertThat(ShapesJudge.judge(image, other).ok()).as(g.file() + " vs " + other).isEqualTo(g.okForOther());
        }
        assertThat(goldens).anyMatch(Golden::ok).anyMatch(g -> !g.okForOther());
    }

    /**
     * Rounded squares, teardrops, eggs and a pawn drawn at 256 px, each captioned as the shape a
     * fill-ratio rule takes it for: every one is read as "other", so its caption fails on the shape
     * alone.
     */
    @Test
    void rejectsLookalikesOfTheWorldsShapes() {
        var lookalikes = goldens().filter(g -> g.file().startsWith("lookalike")).toList();

        assertThat(lookalikes).hasSizeGreaterThanOrEqualTo(7);
        assertThat(lookalikes.stream().map(Golden::file))
                .anyMatch(f -> f.contains("rounded")).anyMatch(f -> f.contains("teardrop"))
                .anyMatch(f -> f.contains("egg")).anyMatch(f -> f.contains("pawn"));
        for (Golden g : lookalikes) {
            ShapesJudge.Verdict verdict = ShapesJudge.judge(image(g.file()), g.caption());
            assertThat(verdict.analysis().objects()).as(g.file()).singleElement()
                    .extracting(ShapesJudge.Found::shape).isEqualTo("other");
            assertThat(verdict.checks()).as(g.file()).containsEntry("shape", false)
                    .containsEntry("count", true).containsEntry("color", true).containsEntry("background", true);
            assertThat(verdict.ok()).as(g.file()).isFalse();
        }
    }

    @Test
    void readsImagesWhoseSideIsNotAMultipleOfTheAnalysisSize() {
        Golden g = goldens().filter(x -> x.file().equals("side200.png")).findFirst().orElseThrow();
        BufferedImage image = image(g.file());

        assertThat(image.getWidth()).isEqualTo(200);
        assertThat(ShapesJudge.judge(image, g.caption()).ok()).isTrue();
    }

    @Test
    void aBlankCanvasHasNoObjects() {
        BufferedImage blank = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        ShapesJudge.Verdict verdict = ShapesJudge.judge(blank, "a red circle on a black background");

        assertThat(verdict.analysis().objects()).isEmpty();
        assertThat(verdict.checks()).containsEntry("background", true).containsEntry("count", false);
        assertThat(verdict.ok()).isFalse();
    }

    @Test
    void parsesTheGrammarAndRejectsOtherText() {
        assertThat(Caption.parse("a small red circle at the top on a blue background"))
                .isEqualTo(new Caption.OneObject("blue", "red", "circle",
                        java.util.Optional.of("small"), java.util.Optional.of("top")));
        assertThat(Caption.parse("a red square above a green triangle on a white background"))
                .isEqualTo(new Caption.TwoObjects("white", Caption.Relation.ABOVE, "red", "square", "green", "triangle"));
        assertThatThrownBy(() -> Caption.parse("a zebra made of glass")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Caption.parse("a pink circle on a blue background"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static BufferedImage image(String name) {
        try (InputStream in = resource(name)) {
            return ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = ShapesJudgeTest.class.getResourceAsStream("/shapes-judge/" + name);
        assertThat(in).as("test resource shapes-judge/" + name).isNotNull();
        return in;
    }
}
