import type { ModelProto } from '../../onnx/proto.js';
import { ModelBuilder, type BuilderOptions } from './builder.js';

/** Options shared by the reference architectures. */
export interface ArchOptions extends BuilderOptions {
  /** Input height and width. */
  readonly size?: number;
  /** Classes of the final layer. */
  readonly classes?: number;
}

/** LeNet-5 on a 1x32x32 input (conv 6@5x5, pool, conv 16@5x5, pool, fc 120, 84, 10). */
export function lenet5(o: ArchOptions = {}): ModelProto {
  const b = new ModelBuilder({ name: 'lenet5', ...o });
  let x = b.input('input', ['N', 1, o.size ?? 32, o.size ?? 32]);
  x = b.maxPool(b.relu(b.conv(x, { out: 6, kernel: 5, pad: 0 })), { kernel: 2 });
  x = b.maxPool(b.relu(b.conv(x, { out: 16, kernel: 5, pad: 0 })), { kernel: 2 });
  x = b.flatten(x);
  x = b.relu(b.gemm(x, { out: 120 }));
  x = b.relu(b.gemm(x, { out: 84 }));
  b.output(b.gemm(x, { out: o.classes ?? 10 }), 'logits');
  return b.build();
}

/** A small VGG-style net: blocks of two 3x3 convs with BN and ReLU, then max-pooling. */
export function vggSmall(o: ArchOptions & { widths?: number[] } = {}): ModelProto {
  const b = new ModelBuilder({ name: 'vgg-small', ...o });
  let x = b.input('input', ['N', 1, o.size ?? 28, o.size ?? 28]);
  for (const w of o.widths ?? [16, 32, 64]) {
    x = b.relu(b.batchNorm(b.conv(x, { out: w, kernel: 3, bias: false })));
    x = b.relu(b.batchNorm(b.conv(x, { out: w, kernel: 3, bias: false })));
    x = b.maxPool(x, { kernel: 2 });
  }
  x = b.flatten(x);
  b.output(b.gemm(b.relu(b.gemm(x, { out: 64 })), { out: o.classes ?? 10 }), 'logits');
  return b.build();
}

function basicBlock(b: ModelBuilder, x: string, out: number, stride: number): string {
  let y = b.relu(b.batchNorm(b.conv(x, { out, kernel: 3, stride, bias: false })));
  y = b.batchNorm(b.conv(y, { out, kernel: 3, bias: false }));
  const cin = b.shape(x)[1];
  const shortcut =
    stride !== 1 || cin !== out ? b.batchNorm(b.conv(x, { out, kernel: 1, stride, pad: 0, bias: false })) : x;
  return b.relu(b.add(y, shortcut));
}

/**
 * ResNet with BasicBlocks. `resnet18` is torchvision's (224x224x3, 11,689,512 params); the default
 * here is a ResNet-8 for 28x28x1 (three stages of one block).
 */
export function resnet(
  o: ArchOptions & { stages?: number[]; widths?: number[]; imagenetStem?: boolean; channels?: number } = {},
): ModelProto {
  const b = new ModelBuilder({ name: o.imagenetStem ? 'resnet18' : 'resnet8', ...o });
  const size = o.size ?? 28;
  let x = b.input('input', ['N', o.channels ?? 1, size, size]);
  const widths = o.widths ?? [16, 32, 64];
  if (o.imagenetStem) {
    x = b.relu(b.batchNorm(b.conv(x, { out: widths[0], kernel: 7, stride: 2, pad: 3, bias: false })));
    x = b.maxPool(x, { kernel: 3, stride: 2, pad: 1 });
  } else {
    x = b.relu(b.batchNorm(b.conv(x, { out: widths[0], kernel: 3, bias: false })));
  }
  (o.stages ?? [1, 1, 1]).forEach((blocks, s) => {
    for (let i = 0; i < blocks; i++) x = basicBlock(b, x, widths[s], i === 0 && s > 0 ? 2 : 1);
  });
  x = b.flatten(b.globalAvgPool(x));
  b.output(b.gemm(x, { out: o.classes ?? 10 }), 'logits');
  return b.build();
}

/** torchvision ResNet-18 at 224x224 (11,689,512 params incl. BN; 1.814 GMACs). */
export function resnet18(o: ArchOptions = {}): ModelProto {
  return resnet({
    ...o,
    imagenetStem: true,
    channels: 3,
    size: o.size ?? 224,
    stages: [2, 2, 2, 2],
    widths: [64, 128, 256, 512],
    classes: o.classes ?? 1000,
  });
}

/** torchvision MobileNetV2 at 224x224 (3,504,872 params; 0.301 GMACs). */
export function mobilenetV2(o: ArchOptions = {}): ModelProto {
  const b = new ModelBuilder({ name: 'mobilenetv2', ...o });
  const cbr = (x: string, out: number, kernel: number, stride: number, groups = 1) =>
    b.relu6(b.batchNorm(b.conv(x, { out, kernel, stride, groups, bias: false })));
  let x = cbr(b.input('input', ['N', 3, o.size ?? 224, o.size ?? 224]), 32, 3, 2);
  const settings: [number, number, number, number][] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const cin = b.shape(x)[1] as number;
      const hidden = cin * t;
      let y = t === 1 ? x : cbr(x, hidden, 1, 1);
      y = cbr(y, hidden, 3, stride, hidden);
      y = b.batchNorm(b.conv(y, { out: c, kernel: 1, bias: false }));
      x = stride === 1 && cin === c ? b.add(x, y) : y;
    }
  }
  x = cbr(x, 1280, 1, 1);
  x = b.flatten(b.globalAvgPool(x));
  b.output(b.gemm(x, { out: o.classes ?? 1000 }), 'logits');
  return b.build();
}

/**
 * MobileNetV1 (Howard et al. 2017) with BatchNorm folded into the convolutions (biases instead of
 * BN nodes, as ESP-DL and TFLite deploy it) and ReLU in place of ReLU6 (as the TinyML seed did for
 * ESP-DL): a 3x3 stride-2 stem, 13 depthwise-separable blocks, global pooling and a 1x1 conv
 * classifier flattened to logits. `alpha` scales every width (default 1). 224x224 with 1000 classes
 * has 4,221,032 parameters (569 MMACs).
 */
export function mobilenetV1(o: ArchOptions & { alpha?: number } = {}): ModelProto {
  const b = new ModelBuilder({ name: 'mobilenetv1', ...o });
  const w = (c: number) => Math.max(8, Math.round(c * (o.alpha ?? 1)));
  let x = b.input('input', ['N', 3, o.size ?? 224, o.size ?? 224]);
  x = b.relu(b.conv(x, { out: w(32), kernel: 3, stride: 2 }));
  const blocks: [number, number][] = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  for (const [out, stride] of blocks) {
    const cin = b.shape(x)[1] as number;
    x = b.relu(b.conv(x, { out: cin, kernel: 3, stride, groups: cin }));
    x = b.relu(b.conv(x, { out: w(out), kernel: 1 }));
  }
  x = b.conv(b.globalAvgPool(x), { out: o.classes ?? 1000, kernel: 1 });
  b.output(b.flatten(x), 'logits');
  return b.build();
}

/** torchvision AlexNet at 224x224 (61,100,840 params; 0.714 GMACs). */
export function alexnet(o: ArchOptions = {}): ModelProto {
  const b = new ModelBuilder({ name: 'alexnet', ...o });
  let x = b.input('input', ['N', 3, o.size ?? 224, o.size ?? 224]);
  x = b.maxPool(b.relu(b.conv(x, { out: 64, kernel: 11, stride: 4, pad: 2 })), { kernel: 3, stride: 2 });
  x = b.maxPool(b.relu(b.conv(x, { out: 192, kernel: 5, pad: 2 })), { kernel: 3, stride: 2 });
  x = b.relu(b.conv(x, { out: 384, kernel: 3, pad: 1 }));
  x = b.relu(b.conv(x, { out: 256, kernel: 3, pad: 1 }));
  x = b.maxPool(b.relu(b.conv(x, { out: 256, kernel: 3, pad: 1 })), { kernel: 3, stride: 2 });
  x = b.flatten(x);
  x = b.relu(b.gemm(x, { out: 4096 }));
  x = b.relu(b.gemm(x, { out: 4096 }));
  b.output(b.gemm(x, { out: o.classes ?? 1000 }), 'logits');
  return b.build();
}

/** Conv autoencoder (DistNN style): conv encoder -> dense latent -> dense -> conv-transpose decoder. */
export function convAutoencoder(o: ArchOptions & { latent?: number } = {}): ModelProto {
  const b = new ModelBuilder({ name: 'conv-autoencoder', ...o });
  let x = b.input('input', ['N', 1, 28, 28]);
  x = b.relu(b.conv(x, { out: 16, kernel: 3, stride: 2, pad: 1 }));
  x = b.relu(b.conv(x, { out: 32, kernel: 3, stride: 2, pad: 1 }));
  x = b.flatten(x);
  const latent = b.relu(b.gemm(x, { out: o.latent ?? 32 }));
  let y = b.relu(b.gemm(latent, { out: 32 * 7 * 7 }));
  y = b.reshape(y, [-1, 32, 7, 7]);
  y = b.relu(b.convTranspose(y, { out: 16, kernel: 3, stride: 2, pad: 1, outputPadding: 1 }));
  y = b.sigmoid(b.convTranspose(y, { out: 1, kernel: 3, stride: 2, pad: 1, outputPadding: 1 }));
  b.output(y, 'reconstruction');
  return b.build();
}
