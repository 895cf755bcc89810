package io.blockhaus.engine.lock;

/**
 * An intrusive doubly-linked FIFO of {@link WaitNode}s: O(1) append and O(1) removal of any node
 * (a waiter that times out leaves from the middle), no allocation per element.
 * Not thread-safe: every instance is guarded by its lock's mutex.
 */
final class NodeList<N extends WaitNode> {
    private N head;
    private N tail;
    private int size;

    void addLast(N node) {
        node.prev = tail;
        node.next = null;
        if (tail == null) {
            head = node;
        } else {
            tail.next = node;
        }
        tail = node;
        size++;
    }

    void remove(N node) {
        WaitNode p = node.prev;
        WaitNode n = node.next;
        if (p == null) {
            head = cast(n);
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = cast(p);
        } else {
            n.prev = p;
        }
        node.prev = null;
        node.next = null;
        size--;
    }

    N first() {
        return head;
    }

    /** The node after {@code node} in this list, or null. */
    N next(N node) {
        return cast(node.next);
    }

    boolean isEmpty() {
        return head == null;
    }

    int size() {
        return size;
    }

    /** Unlinks every node; returns the old head so the caller can walk the detached chain. */
    N clear() {
        N h = head;
        head = null;
        tail = null;
        size = 0;
        return h;
    }

    @SuppressWarnings("unchecked")
    private N cast(WaitNode node) {
        return (N) node;
    }
}
