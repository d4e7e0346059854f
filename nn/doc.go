// Package nn builds and trains neural networks on autograd: layers,
// losses, initialisers, optimizers, learning-rate schedules, gradient
// clipping, checkpoints and a batch loader.
//
// A Module maps a batch Var to a Var and lists its parameters (and
// buffers, such as BatchNorm's running statistics) with stable dotted
// names in a fixed order, "fc1.weight" as in a PyTorch state dict.
// Sequential chains modules and prefixes their names. Layers are created
// from a Config (device, dtype and the Philox generator that draws their
// initial values), initialised as PyTorch initialises the same layer;
// layers: Linear, Conv2d (im2col + one matrix product through the
// backend), MaxPool2d, AvgPool2d, Flatten, Dropout, LayerNorm,
// BatchNorm (1d and 2d), Embedding and the activations ReLU, LeakyReLU,
// GELU, Tanh, Sigmoid and Softmax.
//
// Optimizers (SGD with momentum, Nesterov and weight decay; Adam; AdamW)
// run one fused kernel per parameter through tensor.SGDStep and
// tensor.AdamStep and keep their state on the parameter's device, created
// on first use. Their state exports as named tensors for checkpoints.
//
// A checkpoint is one safetensors file written atomically: the model's
// entries under their own names (loadable by PyTorch), the optimizer's
// under "optim.", and run facts (epoch, generator offsets) in the
// metadata. Loading checks every name, shape and dtype before assigning
// anything, and reports every mismatch.
//
// A Loader cuts a data.Split (nn/data reads Fashion-MNIST) into batches
// of float32 images and int32 labels on a device, normalised, in an order
// that is a pure function of the seed and the epoch, so a resumed run sees
// the batches an uninterrupted one would.
//
// Anomaly detection is autograd's: autograd.SetAnomalyDetection(true)
// makes the first op whose output (or VJP whose gradient) holds NaN or
// Inf panic with its name and operand shapes, and the optimizers check
// every parameter after each Step, naming the optimizer and the parameter
// an update left non-finite (an infinite learning rate, say).
package nn
