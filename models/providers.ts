// Execution-provider selection: try what the config asks for, in order, and fall back to the CPU with a warning that
// says what to install. The CPU is always the last resort, also when the config does not list it.
import type { ExecutionProviderName } from '../config/defaults.js';

export function providerPlan(requested: readonly ExecutionProviderName[]): ExecutionProviderName[] {
  const plan = [...new Set(requested)];
  if (!plan.includes('cpu')) plan.push('cpu');
  return plan.slice(0, plan.indexOf('cpu') + 1);
}

/** Why a provider failed, in words that tell the user what to do. */
export function providerAdvice(provider: ExecutionProviderName, error: string): string {
  const first = error.split('\n')[0].slice(0, 200);
  switch (provider) {
    case 'cuda':
    case 'tensorrt':
      if (/Failed to load (shared )?library|cannot open shared object|not bundled|not supported|No such file/i.test(error)) {
        return `${provider} execution provider is not installed: onnxruntime-node ships only cpu and webgpu; install the CUDA binaries on a machine that reaches NuGet with \`npm pkg set allowScripts.onnxruntime-node=true --json\` then \`ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci\`, with CUDA 12${provider === 'tensorrt' ? ' and TensorRT' : ''} libraries on the library path (${first})`;
      }
      return `${provider} execution provider failed to start: ${first}`;
    case 'webgpu':
      if (/adapter|vulkan|No supported/i.test(error)) {
        return `webgpu execution provider found no GPU adapter: it needs a Vulkan driver for a real GPU (the Vulkan loader libvulkan1 and the vendor's ICD) (${first})`;
      }
      return `webgpu execution provider failed to start: ${first}`;
    default:
      return `${provider} execution provider failed: ${first}`;
  }
}
