/** One server-sent event as the tests read it. */
export interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads an SSE response the way an EventSource on Sekat's own page would: each `event:` + `data:`
 * block is parsed and pushed to `events` as it arrives; `afterChunk` runs after each chunk read.
 * Reading stops quietly when the request is aborted or the stream ends.
 */
export function readServerEvents(response: Response, afterChunk?: () => void): ServerEvent[] {
  const events: ServerEvent[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
        afterChunk?.();
      }
    } catch {
      // aborted or closed
    }
  })();
  return events;
}
