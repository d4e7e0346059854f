// Package nn builds and trains neural networks on autograd: layers,
// losses, initialisers, optimizers, learning-rate schedules, gradient
// clipping, checkpoints, data sets and loaders, and a Trainer.
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
// GELU (tanh approximation), GELUErf (exact), Tanh, Sigmoid and Softmax.
//
// Optimizers (SGD with momentum, Nesterov and weight decay; Adam; AdamW)
// run one fused kernel per parameter through tensor.SGDStep and
// tensor.AdamStep and keep their state on the parameter's device, created
// on first use. Their state exports as named tensors for checkpoints.
//
// A checkpoint is one safetensors file written atomically: the model's
// entries under their own names (loadable by PyTorch), the optimizer's
// under "optim.", and run facts (epoch, generator offsets) in the
// metadata. Entries keep their dtype (F32, F64, I32, and BF16/F16 for
// half tensors, bit for bit, as PyTorch writes and reads them). Loading
// checks every name, shape and dtype before assigning anything, and
// reports every mismatch. PyTorch loads the model part with
// load_state_dict(strict=True) once the "optim." entries are dropped (the
// recipe is at OptimPrefix; a test runs it).
//
// A Dataset is any set of samples addressable by index: TensorDataset
// holds in-memory tensors, ImageDataset an image split read from IDX files
// (nn/data reads Fashion-MNIST), and a program may implement its own. A
// Loader shuffles and batches one onto a device, in an order that is a
// pure function of the seed and the epoch, so a resumed run sees the
// batches an uninterrupted one would (BatchesFrom skips to mid-epoch).
//
// A Trainer fits a Module on a Loader with an Optimizer, a Schedule, a
// Loss (CrossEntropyLoss, MSELoss or a program's) and Metrics, under a
// context.Context: cancelling it stops at a step boundary and writes the
// last checkpoint. TrainerOptions (an options struct) set clipping, the
// generators to checkpoint (Dropout's), last and best checkpoints, and
// OnStep/OnEpoch callbacks. A step never waits for the device: the loss is
// summed there and read once per epoch, and clipping (ClipGradNorm)
// returns a device scalar; evaluation runs in evaluation mode under
// autograd.NoGrad. Resume restores model, optimizer and position (mid-epoch
// too), and the resumed run's numbers are the uninterrupted run's to the
// bit. Summarize gives a per-layer table (output shape, parameters).
//
// Mixed precision: TrainerOptions.Autocast runs the forward passes under
// autograd.Autocast (products in bfloat16 or float16, float32 elsewhere,
// float32 master weights), and TrainerOptions.Scaler, a GradScaler, does
// float16's dynamic loss scaling; its Inf/NaN check and the skipped step
// stay on the device, so a step still never waits for it.
//
// Anomaly detection is autograd's: autograd.SetAnomalyDetection(true)
// makes the first op whose output (or VJP whose gradient) holds NaN or
// Inf panic with its name and operand shapes, and the optimizers check
// every parameter after each Step, naming the optimizer and the parameter
// an update left non-finite (an infinite learning rate, say).
package nn
