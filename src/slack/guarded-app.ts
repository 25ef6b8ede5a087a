import {
  App,
  type AppOptions,
  defaultProcessEventErrorHandler,
  HTTPModuleFunctions,
  type ReceiverEvent,
  type ReceiverProcessEventErrorHandlerArgs,
  type SocketModeReceiverProcessEventErrorHandlerArgs,
} from "@slack/bolt";
import { SlipwayError } from "../errors.js";
import type { Logger } from "../logger.js";
import { checkPayloadShape } from "./payload-shape.js";

const MALFORMED = "malformed_slack_request";

function isMalformed(error: unknown): error is SlipwayError {
  return error instanceof SlipwayError && error.code === MALFORMED;
}

/*
 * Bolt's App with two rules at the one door every request comes through,
 * whichever the receiver (HTTP or Socket Mode), after the receiver has
 * checked the request's signature:
 *
 * - A body without the fields Slipway relies on (payload-shape.ts) is refused
 *   before Bolt routes it, since Bolt's routing would throw on it or hand a
 *   listener `undefined`. `processEvent` throws a `malformed_slack_request`
 *   error, which the receiver's error handler below answers.
 * - A request no listener acknowledges (an action id or view Slipway never
 *   made) is acknowledged as soon as the listeners are done, instead of when
 *   Bolt's unhandled-request timer fires, which leaves Slack's 3 s no margin.
 */
export class GuardedApp extends App {
  readonly #log: Logger;

  constructor(options: AppOptions, log: Logger) {
    super(options);
    this.#log = log;
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    const shape = checkPayloadShape(event.body);
    if (!shape.ok) throw new SlipwayError(MALFORMED, shape.reason);
    let acked = false;
    const ack: ReceiverEvent["ack"] = async (response) => {
      acked = true;
      await event.ack(response);
    };
    // Bolt resolves this once every listener is done; one that handles the request has acknowledged it by then.
    await super.processEvent({ ...event, ack });
    if (!acked) {
      this.#log.info({ kind: shape.kind }, "acknowledged a Slack request no listener handles");
      await ack();
    }
  }
}

/** For Bolt's HTTPReceiver: a malformed request is answered 400 with the reason; any other error as Bolt would. */
export function answerMalformedOverHttp(log: Logger) {
  return async (args: ReceiverProcessEventErrorHandlerArgs): Promise<boolean> => {
    if (!isMalformed(args.error)) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
    log.warn({ reason: args.error.message }, "refused a malformed Slack request");
    args.response.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    args.response.end(`malformed Slack request: ${args.error.message}\n`);
    // Tells Bolt the request is answered, which stops its unhandled-request timer.
    return true;
  };
}

/** For Bolt's SocketModeReceiver: a malformed request is acknowledged, so Slack does not deliver it again, and dropped. */
export function answerMalformedOverSocket(log: Logger) {
  return async (args: SocketModeReceiverProcessEventErrorHandlerArgs): Promise<boolean> => {
    if (!isMalformed(args.error)) return defaultProcessEventErrorHandler(args);
    log.warn({ reason: args.error.message }, "refused a malformed Slack request");
    return true;
  };
}
