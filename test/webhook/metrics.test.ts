import t from 'tap';
import { WebhookMetrics } from '../../webhook/metrics.js';

t.test('the names the chart\'s PrometheusRule uses, on a private registry', async (t) => {
  const m = new WebhookMetrics({ processMetrics: false });
  m.requests.inc({ endpoint: 'validate', kind: 'Certificate', operation: 'CREATE', decision: 'denied' });
  m.duration.observe({ endpoint: 'validate' }, 0.0007);
  m.repairs.inc({ rule: 'certificate/is-ca' });
  m.denials.inc({ rule: 'certificate/namespace' });
  m.certificateExpiry.set(1_900_000_000);
  const text = await m.registry.metrics();
  t.match(text, /^linkerd_cert_guard_admission_requests_total\{endpoint="validate",kind="Certificate",operation="CREATE",decision="denied"\} 1$/m);
  t.match(text, /^linkerd_cert_guard_admission_duration_seconds_bucket\{le="0.001",endpoint="validate"\} 1$/m);
  t.match(text, /^# TYPE linkerd_cert_guard_admission_duration_seconds histogram$/m);
  t.match(text, /^linkerd_cert_guard_repairs_total\{rule="certificate\/is-ca"\} 1$/m);
  t.match(text, /^linkerd_cert_guard_denials_total\{rule="certificate\/namespace"\} 1$/m);
  t.match(text, /^linkerd_cert_guard_certificate_reloads_total\{result="success"\} 0$/m, 'both reload series exist from the start');
  t.match(text, /^linkerd_cert_guard_certificate_reloads_total\{result="failure"\} 0$/m);
  t.match(text, /^linkerd_cert_guard_serving_certificate_expiry_timestamp_seconds 1900000000$/m);
  t.notMatch(text, /process_resident_memory_bytes/, 'process metrics only when asked');

  const other = new WebhookMetrics({ processMetrics: true });
  t.not(other.registry, m.registry, 'each instance has its own registry (tests and the bench start several)');
  t.match(await other.registry.metrics(), /process_resident_memory_bytes/);
  t.notMatch(await other.registry.metrics(), /decision="denied"/);
});
