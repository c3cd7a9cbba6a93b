// The validated, frozen configuration as the rest of Lookout sees it.
import type { Schema } from './schema-kit.js';
import type { configSchema } from './schema.js';

type Parsed<S> = S extends Schema<infer T> ? T : never;
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type Config = DeepReadonly<Parsed<typeof configSchema>>;
export type CameraConfig = Config['cameras'][number];
export type ModelConfig = Config['model'];
export type MqttConfig = NonNullable<Config['mqtt']>;
export type WebSocketConfig = NonNullable<Config['websocket']>;
export type HttpConfig = NonNullable<Config['http']>;
