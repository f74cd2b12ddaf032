/// Square and Shopify order webhooks, verified by their HMAC-SHA256 signatures: ``SquareWebhookFormat``
/// and ``ShopifyWebhookFormat``, served by the POS listener.
public enum POSWebhook {}
