package io.blockhaus.s3.objects;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.http.SdkHttpResponse;

import java.util.Set;

/**
 * Turns the SDK's exceptions into {@link ObjectStoreException}s, deciding what is worth retrying.
 *
 * <p>Retryable: no answer at all (status 0: refused, reset, timed out; the SDK's client
 * exceptions), every 5xx (503 SlowDown included), 408, 429, and the throttling error codes some
 * stores send with a 400. Not retryable: every other answer (403 access denied, 404 no such
 * bucket, 400 malformed), which will not change by asking again.
 */
final class S3Failures {
    private static final Set<String> THROTTLING = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestThrottled", "RequestTimeout", "RequestTimeTooSkewed", "TooManyRequestsException");

    private S3Failures() {
    }

    /** The store's HTTP status, or 0 when it did not answer. */
    static int status(SdkException e) {
        return e instanceof SdkServiceException s ? s.statusCode() : 0;
    }

    /** The store's answer, if there was one (for its headers). */
    static SdkHttpResponse response(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            return a.awsErrorDetails().sdkHttpResponse();
        }
        return null;
    }

    static ObjectStoreException map(String request, SdkException e) {
        int status = status(e);
        String code = e instanceof AwsServiceException a && a.awsErrorDetails() != null
                ? a.awsErrorDetails().errorCode() : null;
        boolean retryable = status == 0 || status >= 500 || status == 408 || status == 429
                || (code != null && THROTTLING.contains(code))
                || (e instanceof SdkServiceException s && s.isThrottlingException());
        String what = status == 0 ? "no answer" : "HTTP " + status + (code == null ? "" : " " + code);
        return new ObjectStoreException(request + ": " + what + ": " + e.getMessage(), retryable, status, e);
    }
}
