package org.unclip.prior;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the formatted messages one logger writes while it is installed. */
final class LogCapture extends Handler implements AutoCloseable {

    private final Logger logger;
    private final List<String> messages = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
    }

    static LogCapture of(Class<?> category) {
        LogCapture capture = new LogCapture(Logger.getLogger(category.getName()));
        capture.logger.addHandler(capture);
        return capture;
    }

    @Override
    public void publish(LogRecord record) {
        Object[] params = record.getParameters();
        String message = record.getMessage();
        messages.add(params == null || params.length == 0 ? message : String.format(message, params));
    }

    /** Waits (at most {@code timeoutMillis}) for a message containing {@code text}. */
    String await(String text, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < end) {
            for (String m : messages) {
                if (m.contains(text)) {
                    return m;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no log message containing '" + text + "' in " + messages);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
