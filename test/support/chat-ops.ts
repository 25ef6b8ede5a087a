// What a person does in Slack lives with the stand-in, where `slipway demo` uses it too.
export { ChatOps, deploymentIdIn, FINISH_MS } from "../../src/standin/chat-ops.js";
