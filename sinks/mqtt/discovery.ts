// Home Assistant MQTT discovery: per camera and tracked label an occupancy binary sensor and a count sensor, and per
// camera a switch for detection, all reading the topics Lookout already publishes, so entities appear without YAML.
// Configs are retained and sent again on every connect (Home Assistant may have restarted with a fresh broker).
import type { Dialect } from './dialect.js';
import { detectStateTopic, motionTopic } from './dialect.js';
import { topicLevel } from './topics.js';
import type { CrossingDirection } from '../../core/types.js';

export interface DiscoveryCamera {
  name: string;
  labels: readonly string[];
  /** counting lines: a daily count sensor per line, label and direction (dialects with line topics only) */
  lines?: readonly { name: string; labels: readonly string[]; directions: readonly CrossingDirection[] }[];
  /** motion is published for the camera: a motion binary sensor */
  motion?: boolean;
  /** the camera's zones and the labels counted in each: an occupancy count sensor per zone and label (and `all`) */
  zones?: readonly { name: string; labels: readonly string[] }[];
  /** state crops with a model (`states.<name>`): a sensor each on the dialect's state topic */
  states?: readonly string[];
  /** retained JPEG snapshots are published (`<prefix>/<camera>/<label>/snapshot`): an `image` entity per label */
  snapshots?: boolean;
}

export interface DiscoveryMessage {
  topic: string;
  config: Record<string, unknown>;
}

/** Home Assistant wants object ids of [a-zA-Z0-9_-]. */
const id = (s: string) => s.replace(/[^a-zA-Z0-9_-]+/g, '_');

export function discoveryMessages(dialect: Dialect, discoveryPrefix: string, cameras: readonly DiscoveryCamera[]): DiscoveryMessage[] {
  const node = id(dialect.prefix);
  // Lookout's `available` also says `stopped`; Home Assistant knows only two words, so map everything else to offline
  const availability = [
    {
      topic: dialect.availableTopic,
      payload_available: 'online',
      payload_not_available: 'offline',
      value_template: "{{ 'online' if value == 'online' else 'offline' }}",
    },
  ];
  const out: DiscoveryMessage[] = [];
  for (const camera of cameras) {
    const device = {
      identifiers: [`${node}_${id(camera.name)}`],
      name: `${camera.name} (${dialect.prefix})`,
      manufacturer: 'Lookout',
      model: 'camera',
    };
    for (const label of [...camera.labels, 'all']) {
      const objectId = `${id(camera.name)}_${id(label)}`;
      const stateTopic = dialect.countTopic(camera.name, label);
      out.push({
        topic: `${discoveryPrefix}/binary_sensor/${node}/${objectId}_occupancy/config`,
        config: {
          name: `${label} occupancy`,
          unique_id: `${node}_${objectId}_occupancy`,
          object_id: `${node}_${objectId}_occupancy`,
          state_topic: stateTopic,
          value_template: "{{ 'ON' if (value | int(0)) > 0 else 'OFF' }}",
          device_class: 'occupancy',
          availability,
          device,
        },
      });
      out.push({
        topic: `${discoveryPrefix}/sensor/${node}/${objectId}_count/config`,
        config: {
          name: `${label} count`,
          unique_id: `${node}_${objectId}_count`,
          object_id: `${node}_${objectId}_count`,
          state_topic: stateTopic,
          state_class: 'measurement',
          icon: 'mdi:counter',
          availability,
          device,
        },
      });
    }
    for (const line of dialect.lineCountTopic ? camera.lines ?? [] : []) {
      for (const label of line.labels) {
        for (const direction of line.directions) {
          const objectId = `${id(camera.name)}_${id(line.name)}_${id(label)}_${direction}`;
          out.push({
            topic: `${discoveryPrefix}/sensor/${node}/${objectId}/config`,
            config: {
              name: `${line.name} ${label} ${direction} today`,
              unique_id: `${node}_${objectId}`,
              object_id: `${node}_${objectId}`,
              state_topic: dialect.lineCountTopic!(camera.name, line.name, label, direction),
              // the count only grows until the daily reset, which Home Assistant reads as a new cycle
              state_class: 'total_increasing',
              icon: direction === 'in' ? 'mdi:location-enter' : 'mdi:location-exit',
              availability,
              device,
            },
          });
        }
      }
    }
    for (const zone of camera.zones ?? []) {
      for (const label of [...zone.labels, 'all']) {
        // Frigate's zone topics sum over cameras: one entity per zone and label, not one per camera
        const objectId = dialect.name === 'frigate' ? `zone_${id(zone.name)}_${id(label)}` : `${id(camera.name)}_${id(zone.name)}_${id(label)}`;
        out.push({
          topic: `${discoveryPrefix}/sensor/${node}/${objectId}_count/config`,
          config: {
            name: `${zone.name} ${label} count`,
            unique_id: `${node}_${objectId}_count`,
            object_id: `${node}_${objectId}_count`,
            state_topic: dialect.zoneCountTopic(camera.name, zone.name, label),
            state_class: 'measurement',
            icon: 'mdi:counter',
            availability,
            device,
          },
        });
      }
    }
    for (const label of camera.snapshots ? camera.labels : []) {
      const objectId = `${id(camera.name)}_${id(label)}_snapshot`;
      out.push({
        topic: `${discoveryPrefix}/image/${node}/${objectId}/config`,
        config: {
          name: `${label} snapshot`,
          unique_id: `${node}_${objectId}`,
          object_id: `${node}_${objectId}`,
          image_topic: `${dialect.prefix}/${topicLevel(camera.name)}/${topicLevel(label)}/snapshot`,
          content_type: 'image/jpeg',
          availability,
          device,
        },
      });
    }
    if (camera.motion) {
      out.push({
        topic: `${discoveryPrefix}/binary_sensor/${node}/${id(camera.name)}_motion/config`,
        config: {
          name: 'motion',
          unique_id: `${node}_${id(camera.name)}_motion`,
          object_id: `${node}_${id(camera.name)}_motion`,
          state_topic: motionTopic(dialect.prefix, camera.name),
          payload_on: 'ON',
          payload_off: 'OFF',
          device_class: 'motion',
          availability,
          device,
        },
      });
    }
    for (const name of camera.states ?? []) {
      const objectId = `${id(camera.name)}_${id(name)}_state`;
      out.push({
        topic: `${discoveryPrefix}/sensor/${node}/${objectId}/config`,
        config: {
          name: `${name} state`,
          unique_id: `${node}_${objectId}`,
          object_id: `${node}_${objectId}`,
          state_topic: dialect.stateTopic(camera.name, name),
          availability,
          device,
        },
      });
    }
    out.push({
      topic: `${discoveryPrefix}/switch/${node}/${id(camera.name)}_detect/config`,
      config: {
        name: 'detect',
        unique_id: `${node}_${id(camera.name)}_detect`,
        object_id: `${node}_${id(camera.name)}_detect`,
        command_topic: `${dialect.prefix}/${topicLevel(camera.name)}/detect/set`,
        state_topic: detectStateTopic(dialect.prefix, camera.name),
        payload_on: 'ON',
        payload_off: 'OFF',
        availability,
        device,
      },
    });
  }
  // a zone two cameras share is one entity in the Frigate dialect: sent once
  const seen = new Set<string>();
  return out.filter((m) => !seen.has(m.topic) && seen.add(m.topic));
}
