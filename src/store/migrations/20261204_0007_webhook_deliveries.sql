-- Webhook deliveries already acted on, by the tracker's delivery id (X-GitHub-Delivery,
-- X-Gitea-Delivery, X-Forgejo-Delivery, GitLab's Idempotency-Key), so a replay, also
-- after a restart, is answered without effect. Rows older than the retention window are
-- pruned by the receiver. No payload and no secret is kept.
CREATE TABLE webhook_deliveries (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    delivery_id   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (connection_id, delivery_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
