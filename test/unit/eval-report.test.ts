import assert from 'node:assert/strict';
import { classificationMetrics } from '../../pipeline/eval/classification.js';
import { evaluateCoco } from '../../pipeline/eval/coco-map.js';
import { formatDuration, formatReport, reportToJson, type EvalReport } from '../../pipeline/eval/report.js';
import { renderProgress } from '../../cli/progress.js';

const meta = { dataset: 'mnist:/data', model: 'mnist-8.onnx', items: 4, unreadable: 0, elapsedMs: 2000 };

describe('eval report', () => {
  describe('renderProgress', () => {
    it('given half done after 5 s, then it shows 50 %, a half bar, the rate and the time left', () => {
      // 500 in 5 s = 100/s; 500 left → 5 s
      const line = renderProgress(500, 1000, 10_000, 15_000);
      assert.equal(line, ` 50% [████████████░░░░░░░░░░░░] 500/1000  100/s  0:05 elapsed  eta 0:05`);
      assert.ok(line.length <= 80);
    });

    it('given nothing done yet, then the rate and eta are unknown', () => {
      assert.equal(renderProgress(0, 10, 1000, 1000), `  0% [░░░░░░░░░░░░░░░░░░░░░░░░] 0/10  --/s  0:00 elapsed  eta --:--`);
    });

    it('given all done (or more), then the bar is full and says done', () => {
      assert.match(renderProgress(12, 10, 0, 4000), /^100% \[█{24}\] 10\/10 {2}3\.00\/s {2}0:04 elapsed {2}done$/);
    });

    it('given an unknown total, then it shows the count and rate only; a clock going backwards reads as 0', () => {
      assert.equal(renderProgress(30, 0, 0, 3_000), '30 done  10.0/s  0:03 elapsed');
      assert.equal(renderProgress(3, 10, 5_000, 1_000), ` 30% [███████░░░░░░░░░░░░░░░░░] 3/10  --/s  0:00 elapsed  eta --:--`);
    });

    it('formats durations as m:ss and h:mm:ss', () => {
      assert.equal(formatDuration(0), '0:00');
      assert.equal(formatDuration(61_400), '1:01');
      assert.equal(formatDuration(3_725_000), '1:02:05');
    });
  });

  describe('classification report', () => {
    const report: EvalReport = {
      task: 'classification',
      meta,
      labels: ['zero', 'one'],
      metrics: classificationMetrics(
        [
          [0, 0],
          [0, 1],
          [1, 1],
          [1, 1],
        ],
        2,
      ),
    };

    it('prints aligned per-class rows, averages and the confusion matrix', () => {
      const text = formatReport(report);
      assert.match(text, /^dataset {2}mnist:\/data\nmodel {4}mnist-8\.onnx\n4 items in 2\.0 s \(2\.00 items\/s\)\n/);
      assert.match(text, /accuracy {2}0\.7500 {2}\(3 of 4\)/);
      // zero: P 1, R ½, F1 ⅔; one: P ⅔, R 1, F1 0.8
      assert.match(text, /\nzero +1\.0000 +0\.5000 +0\.6667 +2\n/);
      assert.match(text, /\none +0\.6667 +1\.0000 +0\.8000 +2\n/);
      assert.match(text, /macro avg \(2\) +0\.8333 +0\.7500 +0\.7333 +4/);
      assert.match(text, /confusion matrix \(rows = true, columns = predicted\)\n +zero +one\nzero +1 +1\none +0 +2\n$/);
      const rows = text.split('\n').filter((l) => /^(class|zero|one|macro|weighted)/.test(l));
      assert.equal(new Set(rows.slice(0, 3).map((r) => r.length)).size, 1, 'table rows have one width');
    });

    it('says how many items could not be decoded, in the table and in JSON, and nothing when there were none', () => {
      const withUnreadable: EvalReport = { ...report, meta: { ...meta, unreadable: 3 } };
      assert.match(formatReport(withUnreadable), /\n4 items in 2\.0 s \(2\.00 items\/s\); 3 unreadable, left out\n/);
      assert.doesNotMatch(formatReport(report), /unreadable/);
      assert.equal(reportToJson(withUnreadable).unreadable, 3);
      assert.equal(reportToJson(report).unreadable, 0);
    });

    it('gives a JSON-ready object with named classes', () => {
      const json = reportToJson(report);
      assert.equal(json.task, 'classification');
      if (json.task !== 'classification') return;
      assert.equal(json.itemsPerSecond, 2);
      assert.equal(json.accuracy, 0.75);
      assert.deepEqual(json.classes[0], { id: 0, label: 'zero', precision: 1, recall: 0.5, f1: 2 / 3, support: 2, predicted: 1 });
      assert.deepEqual(json.confusion, [
        [1, 1],
        [0, 2],
      ]);
      assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
    });

    it('given a big model on a small dataset, then only the classes that occur are listed, in table and JSON', () => {
      // 1000 classes; truth 3 and 7, predictions 3, 7 and 512
      const big: EvalReport = {
        task: 'classification',
        meta,
        labels: [],
        metrics: classificationMetrics(
          [
            [3, 3],
            [7, 7],
            [7, 512],
          ],
          1000,
        ),
      };
      const text = formatReport(big);
      assert.match(text, /\(997 classes neither true nor predicted anywhere: not shown, not averaged\)/);
      assert.match(text, /confusion matrix \(rows = true, columns = predicted\)\n +3 +7 +512\n3 +1 +0 +0\n7 +0 +1 +1\n512 +0 +0 +0\n$/);
      const json = reportToJson(big);
      if (json.task !== 'classification') return assert.fail('expected a classification report');
      assert.deepEqual(json.classes.map((c) => c.id), [3, 7, 512]);
      assert.deepEqual(json.confusion, [
        [1, 0, 0],
        [0, 1, 1],
        [0, 0, 0],
      ]);
    });
  });

  describe('detection report', () => {
    // class 1 perfect, class 2 has no gt (AP −1)
    const metrics = evaluateCoco({
      imageIds: [1],
      categories: [
        { id: 1, name: 'person' },
        { id: 2, name: 'dog' },
      ],
      groundTruths: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10] }],
      detections: [{ imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10], score: 0.9 }],
    });
    const report: EvalReport = { task: 'detection', meta: { ...meta, dataset: 'coco:x.json', items: 1 }, metrics };

    it('prints the COCO summary, the threshold line and per-class rows with "-" for no gt', () => {
      const text = formatReport(report);
      assert.match(text, /mAP@\[\.50:\.95\] +1\.000\n/);
      assert.match(text, /mAP medium +-\n/);
      assert.match(text, /at score >= 0\.5, IoU 0\.50: precision 1\.000 {2}recall 1\.000 {2}F1 1\.000 {2}\(1 TP, 0 FP, 1 gt\)/);
      assert.match(text, /\nperson +1 +1 +1\.000 +1\.000 +1\.000 +1\.000\n/);
      assert.match(text, /\ndog +0 +0 +- +- +0\.000 +-\n/);
    });

    it('gives JSON with null where pycocotools says −1', () => {
      const json = reportToJson(report);
      if (json.task !== 'detection') return assert.fail('expected a detection report');
      assert.equal(json.mapMedium, null);
      assert.equal(json.classes[1]!.ap, null);
      assert.equal(json.classes[1]!.recall, null);
      assert.ok(json.map! > 0.999);
      assert.equal(json.atThreshold.iou, 0.5);
    });
  });
});
