package io.blockhaus.grpc;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** A response observer that completes a future with the one reply of a call, or with its error. */
final class FutureObserver<T> implements StreamObserver<T> {
    private final CompletableFuture<T> done;

    FutureObserver(CompletableFuture<T> done) {
        this.done = done;
    }

    @Override
    public void onNext(T reply) {
        done.complete(reply);
    }

    @Override
    public void onError(Throwable t) {
        done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        // the reply came with onNext; a call that ends without one leaves the future to its caller's timeout
    }
}
