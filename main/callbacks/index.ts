/**
 * Callbacks: the local callback server, the public URL (pasted or built-in tunnel), the self-test
 * that decides between callback mode and polling, and the status the UI and CLI show.
 */
export { createCallbackManager } from './manager';
export type { CallbackManager, CallbackManagerOptions, CallbackQueueHooks, CallbackStats } from './manager';
export { startCallbacksForCli, describeCallbackStatus, callbackStatusLines, recordedCallbackLines, parseCallbackPort, CallbackOptionError } from './cli';
export { callbackStatePath, readCallbackState, CALLBACK_STATE_FILE } from './state';
export type { CliCallbackOptions } from './cli';
export { callbackUrl, publicUrlProblem, runProbe } from './probe';
export type { ProbeCode, ProbeResult } from './probe';
export { ngrokTunnel } from './tunnel';
export type { Tunnel, TunnelProvider } from './tunnel';
export { signBody, verifySignature, SIGNATURE_HEADER } from './signature';
export type { HintResult, RejectReason } from './server';
