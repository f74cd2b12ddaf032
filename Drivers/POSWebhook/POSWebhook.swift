/// Square and Shopify order webhooks, verified by their HMAC-SHA256 signatures.
public enum POSWebhook {}
