import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ElemType, decodeModel, encodeModel, makeFloatTensor, makeTensorValueInfo, onnx } from '../../../../../engines/runtime/onnx-model.js';
import {
  EP_CONTEXT_DOMAIN,
  EP_CONTEXT_OP,
  buildEpContextModel,
  checkEnginePath,
  normaliseComputeCapability,
  parseEpContextModel,
} from '../../../../../engines/runtime/trt/ep-context.js';

/** y = x + b with a dynamic batch and width, plus an initializer that is also listed as an input (old IR style). */
function smallModel(): Uint8Array {
  return encodeModel(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        name: 'Model from PaddlePaddle.',
        node: [{ opType: 'Add', input: ['x', 'b'], output: ['y'], name: 'add0' }],
        initializer: [makeFloatTensor('b', [1], [0.5])],
        input: [makeTensorValueInfo('x', ElemType.FLOAT, ['batch', 3, 48, null]), makeTensorValueInfo('b', ElemType.FLOAT, [1])],
        output: [makeTensorValueInfo('y', ElemType.FLOAT, ['batch', 3, 48, null])],
      },
    }),
  );
}

describe('EP-context wrapper', () => {
  test('one EPContext node with the TensorRT EP attributes, I/O identical to the original', () => {
    const bytes = buildEpContextModel(smallModel(), {
      engineRelativePath: 'model.engine',
      computeCapability: '9.0',
      onnxModelFilename: 'ch_PP-OCRv4_rec_infer.onnx',
      trtVersion: '10.9.0',
    });
    const p = parseEpContextModel(bytes);
    assert.equal(p.nodeCount, 1);
    assert.equal(p.node.opType, EP_CONTEXT_OP);
    assert.equal(p.node.domain, EP_CONTEXT_DOMAIN);
    assert.equal(p.node.name, 'TensorrtExecutionProvider_Model_from_PaddlePaddle__0');
    assert.deepEqual(p.node.inputs, ['x']);
    assert.deepEqual(p.node.outputs, ['y']);
    assert.equal(p.embedMode, 0);
    assert.equal(p.epCacheContext, 'model.engine');
    assert.equal(p.hardwareArchitecture, '90');
    assert.equal(p.source, 'TensorrtExecutionProvider');
    assert.equal(p.onnxModelFilename, 'ch_PP-OCRv4_rec_infer.onnx');
    assert.equal(p.epSdkVersion, '10.9.0');
    assert.deepEqual(p.inputs, [{ name: 'x', elemType: ElemType.FLOAT, dims: ['batch', 3, 48, null] }], 'the initializer is not a graph input of the wrapper');
    assert.deepEqual(p.outputs, [{ name: 'y', elemType: ElemType.FLOAT, dims: ['batch', 3, 48, null] }]);
    assert.deepEqual(p.opsetImports, [
      { domain: '', version: 11 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    assert.equal(p.irVersion, 8);
    // No weights travel in the wrapper.
    assert.equal(decodeModel(bytes).graph!.initializer!.length, 0);
  });

  test('engine paths the TensorRT EP refuses are refused here first', () => {
    assert.throws(() => checkEnginePath('/abs/model.engine'), /relative/);
    assert.throws(() => checkEnginePath('C:\\cache\\model.engine'), /relative/);
    assert.throws(() => checkEnginePath('../other/model.engine'), /"\.\."/);
    assert.throws(() => checkEnginePath(''), /empty/);
    assert.doesNotThrow(() => checkEnginePath('engines/model.engine'));
    assert.throws(() => buildEpContextModel(smallModel(), { engineRelativePath: '/tmp/x.engine' }), /relative/);
  });

  test('compute capability is written as major*10+minor, as the EP compares it', () => {
    assert.equal(normaliseComputeCapability('9.0'), '90');
    assert.equal(normaliseComputeCapability('8.6'), '86');
    assert.equal(normaliseComputeCapability('12.0'), '120');
    assert.equal(normaliseComputeCapability('89'), '89');
  });
});
