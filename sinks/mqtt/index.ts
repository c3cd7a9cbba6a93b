// The MQTT sink and the pieces other sinks reuse (topic filters, the Lookout dialect's messages).
export { MqttSink, createDialect, payloadText, type MqttSinkInputs, type MqttSinkOptions } from './mqtt-sink.js';
export { MqttConnection, type MqttConnectionStats } from './connection.js';
export { EmbeddedBroker } from './embedded-broker.js';
export { LookoutDialect, lookoutEvent, lookoutObject, type LookoutEventPayload, type LookoutObjectPayload } from './lookout-dialect.js';
export { FrigateDialect, type FrigateEventPayload, type FrigateObjectPayload } from './frigate-dialect.js';
export { detectSetFilter, detectStateTopic, type Dialect, type TopicMessage } from './dialect.js';
export { discoveryMessages } from './discovery.js';
export { Outbox, type OutboxMessage } from './outbox.js';
export { topicFilterProblem, topicMatches, topicLevel } from './topics.js';
