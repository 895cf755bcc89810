package io.blockhaus.server;

/** Entry point of blockhaus-server.jar (placeholder until the serve command lands). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("blockhaus: serve command not built yet");
        System.exit(2);
    }
}
