package io.blockhaus.grpc;

import io.blockhaus.limits.UntrustedText;

/**
 * Resource names of the API (Google's API design guide): {@code volumes/{volume}},
 * {@code volumes/{volume}/handles/{handle}}, {@code volumes/{volume}/handles/{handle}/mappings/{mapping}}.
 * Handle and mapping ids are server-wide counters, never reused while the server runs.
 */
final class ResourceNames {
    static final String VOLUMES = "volumes/";

    private ResourceNames() {
    }

    static String volume(String id) {
        return VOLUMES + id;
    }

    /** The {volume} part of {@code volumes/{volume}}; INVALID_ARGUMENT for anything else. */
    static String volumeId(String name) {
        if (name == null || !name.startsWith(VOLUMES) || name.length() == VOLUMES.length()
                || name.indexOf('/', VOLUMES.length()) >= 0) {
            throw RequestException.invalid(UntrustedText.quote(name) + " is not a volume name (volumes/{volume})");
        }
        return name.substring(VOLUMES.length());
    }

    static String handle(String volumeId, long id) {
        return VOLUMES + volumeId + "/handles/" + id;
    }

    static String mapping(String handleName, long id) {
        return handleName + "/mappings/" + id;
    }

    /** The handle part of a mapping's name; INVALID_ARGUMENT when it is not a mapping name. */
    static String handleOfMapping(String mappingName) {
        int at = mappingName == null ? -1 : mappingName.lastIndexOf("/mappings/");
        if (at <= 0) {
            throw RequestException.invalid(UntrustedText.quote(mappingName) + " is not a mapping name"
                    + " (volumes/{volume}/handles/{handle}/mappings/{mapping})");
        }
        return mappingName.substring(0, at);
    }
}
