// Every default in one object, so the docs, the validator and `lookout validate --print` agree.
export const DEFAULTS = {
  model: {
    threshold: 0.3,
    iou: 0.45,
    topK: 5,
    providers: ['cpu'] as ExecutionProviderName[],
    batch: { maxSize: 4, maxWaitMs: 15 },
  },
  camera: {
    fps: 5,
    loop: false,
    realtime: true,
    enabled: true,
  },
  log: { level: 'info' as LogLevel, json: false },
} as const;

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
