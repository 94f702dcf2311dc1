/** Every URL the example serves, listed by the startup banner and the landing page. */
export function endpointUrls(base: string): { label: string; url: string }[] {
  const ws = base.replace(/^http/, "ws");
  return [
    { label: "datafeed WebSocket", url: `${ws}/api/v1/datafeed/ws` },
    { label: "broker WebSocket", url: `${ws}/api/v1/broker/ws` },
    { label: "place an order (POST JSON)", url: `${base}/api/v1/broker/orders` },
    { label: "orders of an account", url: `${base}/api/v1/broker/orders?accountId=ACC-1` },
    { label: "positions of an account", url: `${base}/api/v1/broker/positions?accountId=ACC-1` },
    { label: "datafeed AsyncAPI docs", url: `${base}/api/v1/datafeed/ws/asyncapi` },
    { label: "broker AsyncAPI docs", url: `${base}/api/v1/broker/ws/asyncapi` },
    { label: "merged AsyncAPI docs", url: `${base}/api/v1/ws/asyncapi` },
    { label: "merged AsyncAPI JSON", url: `${base}/api/v1/ws/asyncapi.json` },
    { label: "Prometheus metrics", url: `${base}/metrics` },
  ];
}
