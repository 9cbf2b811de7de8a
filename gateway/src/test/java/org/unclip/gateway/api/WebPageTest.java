package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.unclip.gateway.testing.Browser;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * The web page at {@code /} in headless Chromium, against the gateway with API keys configured
 * (so the page must send its key on every call, the event stream included), the real Redis and
 * the fake stages. A person's steps: type a prompt, pick settings, generate, watch, cancel.
 *
 * <p>The main test leaves a screenshot of the page at {@code gateway/target/web-page.png}.
 */
@QuarkusTest
@TestProfile(ApiKeysTest.WithKeys.class)
@QuarkusTestResource(FakeStagesResource.class)
class WebPageTest {

    private static final String KEY = "sk-second";
    private static final Duration WAIT = Duration.ofSeconds(20);
    static final Path SCREENSHOT = Path.of("target", "web-page.png");

    /** Records every value the progress bar and its label take, and each preview shown. */
    private static final String RECORDER =
            """
            const seen = {values: [], labels: [], previews: []};
            window.unclipSeen = seen;
            const bar = document.getElementById('progress');
            new MutationObserver((records) => {
                for (const r of records) { if (r.oldValue !== null) seen.values.push(Number(r.oldValue)); }
            }).observe(bar, {attributes: true, attributeFilter: ['value'], attributeOldValue: true});
            new MutationObserver((records) => {
                for (const r of records) { for (const n of r.addedNodes) seen.labels.push(n.textContent); }
            }).observe(document.getElementById('progress-label'), {childList: true});
            const preview = document.getElementById('preview');
            new MutationObserver(() => seen.previews.push(preview.src.slice(0, 30)))
                .observe(preview, {attributes: true, attributeFilter: ['src']});
            """;

    private static Browser browser;

    @TestHTTPResource("/")
    URI base;

    FakeStages stages;

    /** Started by the first test; without a browser each test is skipped (failed where one is required). */
    @BeforeEach
    void startBrowser() {
        if (browser == null) {
            browser = Browser.start();
        }
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Loads the page with {@code key} in localStorage (none if null), as a returning visitor has it. */
    private void open(String key) {
        browser.driver().get(base.toString());
        browser.script(
                "if (arguments[0] === null) localStorage.removeItem('unclip.apiKey');"
                        + " else localStorage.setItem('unclip.apiKey', arguments[0]);",
                key);
        browser.driver().navigate().refresh();
        Browser.await("the page to load", WAIT, () -> browser.script("return document.readyState === 'complete'"));
    }

    private WebElement find(String css) {
        return browser.driver().findElement(By.cssSelector(css));
    }

    private void type(String css, String text) {
        WebElement field = find(css);
        field.clear();
        field.sendKeys(text);
    }

    private String text(String css) {
        return find(css).getText();
    }

    private String awaitStatus(String prefix) {
        return Browser.await("status '" + prefix + "…'", WAIT, () -> {
            String status = text("#status");
            return status.startsWith(prefix) ? status : null;
        });
    }

    // ------------------------------------------------------------------ tests

    @Test
    void generatesImagesWithProgressAndPreviewIntoTheGallery() throws Exception {
        open(KEY);
        assertThat(browser.driver().getTitle()).contains("unCLIP");
        assertThat(find("#key-summary").getText()).isEqualTo("API key (set)");
        browser.script(RECORDER);

        type("#prompt", "a large red circle in the center on a blue background");
        type("#n", "3");
        find("#size option[value='64x64']").click();
        type("#seed", "14711391"); // 0xE07A5F: the fake decoder paints image 0 in that colour
        find("input[name=preset][value=fast]").click();
        type("#prior-guidance", "2");
        type("#decoder-guidance", "3.5");
        find("#generate").click();

        String status = awaitStatus("Done");
        assertThat(status).startsWith("Done: 3 images in ");
        List<WebElement> images = browser.driver().findElements(By.cssSelector("#gallery .result:first-child .images img"));
        assertThat(images).hasSize(3);
        Browser.await("the three images to load", WAIT, () -> browser.script(
                "return Array.from(document.querySelectorAll('#gallery .result:first-child img'))"
                        + ".every((img) => img.complete && img.naturalWidth > 0)"));
        for (WebElement image : images) {
            assertThat(((Number) browser.script("return arguments[0].naturalWidth", image)).intValue()).isEqualTo(64);
            assertThat(image.getAttribute("src")).contains("/v1/images/results/");
            assertThat(image.getAttribute("alt")).contains("a large red circle").contains("seed ");
        }
        assertThat(text("#gallery .result:first-child h3")).isEqualTo("a large red circle in the center on a blue background");
        assertThat(text("#gallery .result:first-child figcaption code")).isEqualTo("14711391");
        assertThat(find("#gallery-empty").isDisplayed()).isFalse();
        assertThat(find("#error").getText()).isEmpty();
        assertThat(find("#generate").isEnabled()).isTrue();
        assertThat(find("#cancel").isEnabled()).isFalse();

        // The bar moved through the stages' steps and ended full; a decoder preview was shown.
        Map<String, List<Object>> seen = browser.script("return window.unclipSeen");
        assertThat(seen.get("labels")).contains("Prior · step 3 of 3", "Decoder · step 1 of 2", "Done.");
        assertThat(seen.get("values")).anySatisfy(v -> assertThat(((Number) v).doubleValue()).isStrictlyBetween(0.0, 1.0));
        assertThat(((Number) browser.script("return document.getElementById('progress').value")).doubleValue()).isEqualTo(1.0);
        assertThat(seen.get("previews")).anySatisfy(src -> assertThat((String) src).startsWith("data:image/png;base64,"));
        assertThat(((Number) browser.script("return document.getElementById('preview').naturalWidth")).intValue()).isPositive();
        assertThat(text("#preview-caption")).startsWith("Live preview · Decoder step");

        // What the page asked for reached the stages.
        assertThat(stages.lastDecoderRequest.getSeeds(0)).isEqualTo(14711391L);
        assertThat(stages.lastDecoderRequest.getSeedsCount()).isEqualTo(3);
        assertThat(stages.lastDecoderRequest.getSize()).isEqualTo(64);
        assertThat(stages.lastDecoderRequest.getPreset()).isEqualTo("fast");
        assertThat(stages.lastDecoderRequest.getGuidanceScale()).isEqualTo(3.5f);
        assertThat(stages.lastDecoderRequest.getPreviews()).isTrue();
        assertThat(stages.lastPriorRequest.getGuidanceScale()).isEqualTo(2f);

        // The whole page, as a person sees it.
        int height = ((Number) browser.script("return document.documentElement.scrollHeight")).intValue();
        Map<String, Number> box;
        byte[] png;
        browser.viewportHeight(height);
        try {
            box = browser.script(
                    "window.scrollTo(0, 0);"
                            + " const r = document.querySelector('#gallery .result:first-child img').getBoundingClientRect();"
                            + " return {x: r.x + r.width / 2, y: r.y + r.height / 2};");
            png = browser.driver().getScreenshotAs(OutputType.BYTES);
        } finally {
            browser.resetViewport();
        }
        Files.createDirectories(SCREENSHOT.getParent());
        Files.write(SCREENSHOT, png);

        assertThat(png).startsWith(0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n');
        assertThat(png.length).isGreaterThan(20_000);
        BufferedImage shot = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(shot.getWidth()).isEqualTo(Browser.WIDTH);
        assertThat(shot.getHeight()).isEqualTo(height);
        assertThat(distinctColours(shot)).isGreaterThan(50);
        int rgb = shot.getRGB(box.get("x").intValue(), box.get("y").intValue()) & 0xFFFFFF;
        assertThat(channelsNear(rgb, 0xE07A5F, 3)).as("image 0 in the screenshot is #%06X", rgb).isTrue();

        // "Use seed" puts an image's seed back in the form for one image.
        find("#gallery .result:first-child figcaption button").click();
        assertThat(find("#seed").getAttribute("value")).isEqualTo("14711391");
        assertThat(find("#n").getAttribute("value")).isEqualTo("1");
    }

    @Test
    void anEmptyPromptShowsTheApiErrorMessage() {
        open(KEY);
        int calls = stages.textEncoderCalls.get();

        type("#prompt", "   ");
        find("#generate").click();

        String error = Browser.await("an error", WAIT, () -> {
            String shown = text("#error");
            return shown.isEmpty() ? null : shown;
        });
        assertThat(error).isEqualTo(
                "Invalid 'prompt': the prompt is empty. Describe the image to generate, e.g. \"a red circle on a white background\".");
        assertThat(find("#error").getAttribute("role")).isEqualTo("alert");
        assertThat(text("#status")).isEqualTo("Not started.");
        assertThat(find("#generate").isEnabled()).isTrue();
        assertThat(browser.driver().findElements(By.cssSelector("#gallery img"))).isEmpty();
        assertThat(stages.textEncoderCalls.get()).isEqualTo(calls);
    }

    @Test
    void withoutAKeyThePageSaysSoAndRemembersTheKeyOnceTyped() {
        open(null);
        assertThat(find("#key-panel").getAttribute("open")).isNull();

        type("#prompt", "a blue square");
        find("#generate").click();

        String error = Browser.await("an error", WAIT, () -> {
            String shown = text("#error");
            return shown.isEmpty() ? null : shown;
        });
        assertThat(error).contains("You didn't provide an API key").contains("enter it under “API key”");
        assertThat(find("#key-panel").getAttribute("open")).isNotNull();

        type("#api-key", KEY);
        assertThat(find("#key-summary").getText()).isEqualTo("API key (set)");
        browser.driver().navigate().refresh();
        assertThat(find("#api-key").getAttribute("value")).isEqualTo(KEY);

        type("#prompt", "a blue square");
        find("#generate").click();
        assertThat(awaitStatus("Done")).startsWith("Done: 1 image in ");
        assertThat(text("#error")).isEmpty();
    }

    @Test
    void cancelStopsARunningJob() {
        open(KEY);
        int cancellations = stages.priorCancellations.get();
        browser.script(RECORDER);

        type("#prompt", "a slow green triangle");
        type("#prior-guidance", "77"); // the fake prior takes 150 slow steps
        find("#generate").click();

        Browser.await("the prior to make progress", WAIT, () -> text("#progress-label").startsWith("Prior · step"));
        double first = ((Number) browser.script("return document.getElementById('progress').value")).doubleValue();
        Browser.await("the progress bar to move", WAIT, () ->
                ((Number) browser.script("return document.getElementById('progress').value")).doubleValue() > first);
        assertThat(text("#status")).isEqualTo("Running.");
        assertThat(find("#cancel").isEnabled()).isTrue();
        assertThat(find("#generate").isEnabled()).isFalse();

        find("#cancel").click();

        awaitStatus("Cancelled.");
        Browser.await("the prior call to be cancelled", WAIT, () -> stages.priorCancellations.get() > cancellations);
        assertThat(text("#progress-label")).isEqualTo("Cancelled.");
        assertThat(text("#error")).isEmpty();
        assertThat(find("#generate").isEnabled()).isTrue();
        assertThat(find("#cancel").isEnabled()).isFalse();
        assertThat(browser.driver().findElements(By.cssSelector("#gallery img"))).isEmpty();
    }

    @Test
    void aFailedJobShowsWhy() {
        open(KEY);

        type("#prompt", "a red circle");
        type("#decoder-guidance", "99"); // the fake decoder answers INTERNAL
        find("#generate").click();

        assertThat(awaitStatus("Failed.")).isEqualTo("Failed.");
        assertThat(text("#error")).isEqualTo("The decoder stage failed while processing the request.");
        assertThat(find("#generate").isEnabled()).isTrue();
        assertThat(browser.driver().findElements(By.cssSelector("#gallery img"))).isEmpty();
    }

    // ------------------------------------------------------------------ pixels

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 4) {
            for (int x = 0; x < image.getWidth(); x += 4) {
                colours.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return colours.size();
    }

    private static boolean channelsNear(int rgb, int expected, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((rgb >> shift) & 0xFF) - ((expected >> shift) & 0xFF)) > tolerance) {
                return false;
            }
        }
        return true;
    }
}
