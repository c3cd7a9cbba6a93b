// Frigate's `GET /api/config`, made from Lookout's config: the sections the Home Assistant Frigate integration reads to
// make its entities. Per camera it indexes `objects.track`, `zones.<zone>.objects`, `motion.threshold`,
// `motion.contour_area` and `audio.enabled_in_config` directly (a missing key stops its setup), and reads `record`,
// `snapshots`, `detect`, `motion.enabled` and `go2rtc`/`rtmp` for restreams; at the top, `mqtt.topic_prefix` (every MQTT
// entity's topics), `mqtt.client_id` (its name for this instance in media URLs) and `version`.
import type { CameraConfig, MqttConfig } from '../../config/types.js';

export interface FrigateZoneConfig {
  /** the labels counted in the zone; empty: every tracked label */
  objects: string[];
  coordinates: string;
  inertia: number;
  loitering_time: number;
}

export interface FrigateCameraConfig {
  name: string;
  enabled: boolean;
  enabled_in_config: boolean;
  objects: { track: string[]; filters: Record<string, { min_score: number; threshold: number }> };
  zones: Record<string, FrigateZoneConfig>;
  detect: { enabled: boolean; fps: number; width: number | null; height: number | null };
  motion: { enabled: boolean; threshold: number; contour_area: number; improve_contrast: boolean };
  record: { enabled: boolean; enabled_in_config: boolean };
  snapshots: { enabled: boolean };
  audio: { enabled: boolean; enabled_in_config: boolean };
  /** Lookout serves no restream: no RTMP, no go2rtc stream */
  rtmp: { enabled: boolean };
  mqtt: { enabled: boolean; timestamp: boolean; bounding_box: boolean; crop: boolean };
}

export interface FrigateConfig {
  /** the emulated Frigate release, major.minor (the integration gates features on it) */
  version: string;
  mqtt: { enabled: boolean; topic_prefix: string; client_id: string };
  cameras: Record<string, FrigateCameraConfig>;
  birdseye: { enabled: boolean; restream: boolean };
  go2rtc: { streams: Record<string, never> };
}

/** Zone points as Frigate writes them: `x1,y1,x2,y2,…`. */
const coordinates = (points: readonly (readonly number[])[]) => points.map((p) => p.join(',')).join(',');

function cameraConfig(c: CameraConfig): FrigateCameraConfig {
  // the schema's default is `{}`, which widens the type to one without the optional sizes
  const detect = c.detect as { width?: number; height?: number };
  return {
    name: c.name,
    enabled: c.enabled,
    enabled_in_config: c.enabled,
    objects: {
      track: [...c.objects.track],
      filters: Object.fromEntries(Object.entries(c.objects.filters).map(([label, f]) => [label, { min_score: f.minScore, threshold: f.threshold }])),
    },
    zones: Object.fromEntries(
      Object.entries(c.zones).map(([name, z]) => [name, { objects: [...(z.objects ?? [])], coordinates: coordinates(z.points), inertia: z.inertia, loitering_time: z.loiterSeconds ?? 0 }]),
    ),
    detect: { enabled: c.enabled, fps: c.fps, width: detect.width ?? null, height: detect.height ?? null },
    motion: { enabled: c.motion.enabled, threshold: c.motion.threshold, contour_area: c.motion.contourArea, improve_contrast: c.motion.improveContrast },
    record: { enabled: c.record.enabled, enabled_in_config: c.record.enabled },
    // Lookout serves a snapshot for every camera
    snapshots: { enabled: true },
    audio: { enabled: false, enabled_in_config: false },
    rtmp: { enabled: false },
    mqtt: { enabled: true, timestamp: false, bounding_box: true, crop: false },
  };
}

export function frigateConfig(cameras: readonly CameraConfig[], mqtt: MqttConfig, version: string): FrigateConfig {
  return {
    version: version.split('.').slice(0, 2).join('.'),
    // Frigate's default client id is its prefix; the integration names this instance by it in media URLs, so it is the
    // configured one or that stable default (not the random one the connection uses)
    mqtt: { enabled: true, topic_prefix: mqtt.topicPrefix, client_id: mqtt.clientId ?? mqtt.topicPrefix },
    cameras: Object.fromEntries(cameras.map((c) => [c.name, cameraConfig(c)])),
    birdseye: { enabled: false, restream: false },
    go2rtc: { streams: {} },
  };
}
