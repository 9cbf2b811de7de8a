package org.unclip.gateway.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium driven through chromedriver, both as Debian installs them ({@code apt-get
 * install chromium chromium-driver}); nothing is downloaded. {@code UNCLIP_CHROMIUM} and {@code
 * UNCLIP_CHROMEDRIVER} name other executables.
 *
 * <p>Without a browser the tests that need one are skipped, unless {@code UNCLIP_REQUIRE_BROWSER}
 * is {@code true} or {@code 1} (CI sets it): then they fail.
 */
public final class Browser implements AutoCloseable {

    public static final int WIDTH = 1280;
    public static final int HEIGHT = 1100;

    private static final List<String> CHROMIUM = List.of("chromium", "chromium-browser", "google-chrome");
    private static final List<String> CHROMEDRIVER = List.of("chromedriver");

    private static volatile boolean warned;

    private final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Starts a browser, or skips (fails, where one is required) the calling test when there is none. */
    public static Browser start() {
        Optional<Path> chromium = executable("UNCLIP_CHROMIUM", CHROMIUM);
        Optional<Path> chromedriver = executable("UNCLIP_CHROMEDRIVER", CHROMEDRIVER);
        if (chromium.isEmpty() || chromedriver.isEmpty()) {
            String missing =
                    (chromium.isEmpty() ? "Chromium" : "")
                            + (chromium.isEmpty() && chromedriver.isEmpty() ? " and " : "")
                            + (chromedriver.isEmpty() ? "chromedriver" : "");
            String message =
                    missing
                            + " not found: the web page is not tested in a browser. Install Chromium and"
                            + " chromedriver (Debian: apt-get install chromium chromium-driver) or name them in"
                            + " UNCLIP_CHROMIUM / UNCLIP_CHROMEDRIVER.";
            if (required()) {
                Assertions.fail(message + " UNCLIP_REQUIRE_BROWSER is set, so this is a failure.");
            }
            if (!warned) {
                warned = true;
                System.err.println("SKIPPED: " + message);
            }
            Assumptions.abort(message);
        }
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(chromedriver.get().toFile())
                        .usingAnyFreePort()
                        .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox", // root in CI containers
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--disable-extensions",
                "--no-first-run",
                "--force-device-scale-factor=1",
                "--window-size=" + WIDTH + "," + HEIGHT);
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return new Browser(driver);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Runs {@code script} in the page; {@code arguments[i]} are the arguments. */
    @SuppressWarnings("unchecked")
    public <T> T script(String script, Object... arguments) {
        return (T) ((JavascriptExecutor) driver).executeScript(script, arguments);
    }

    /** Polls {@code value} until it is non-null and not false, then returns it. */
    public static <T> T await(String what, Duration timeout, Supplier<T> value) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T seen = null;
        while (System.nanoTime() < deadline) {
            seen = value.get();
            if (seen != null && !Boolean.FALSE.equals(seen)) {
                return seen;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + " (last seen: " + seen + ")");
    }

    /**
     * Lays the page out in a viewport {@code height} CSS pixels tall (at {@link #WIDTH}), so that a
     * screenshot shows all of it; {@link #resetViewport()} undoes it.
     */
    public void viewportHeight(int height) {
        driver.executeCdpCommand(
                "Emulation.setDeviceMetricsOverride",
                Map.of("width", WIDTH, "height", height, "deviceScaleFactor", 1, "mobile", false));
    }

    public void resetViewport() {
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
    }

    @Override
    public void close() {
        driver.quit();
    }

    private static boolean required() {
        String value = System.getenv("UNCLIP_REQUIRE_BROWSER");
        return value != null && (value.equals("1") || value.toLowerCase(Locale.ROOT).equals("true"));
    }

    private static Optional<Path> executable(String variable, List<String> names) {
        String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathVariable = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : names) {
            for (String dir : pathVariable.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
