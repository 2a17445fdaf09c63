using System.Numerics;
using System.Runtime.CompilerServices;
using DeepPcr.Linear.Kernels;
using DeepPcr.Models.ResNet;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The fastest sequential MLP loop we write in C# (the physical reference on a CPU, DESIGN.md section 4):
/// z_{k+1} = act(W_k z_k + b_k), or the residual form z_{k+1} = z_k + h act(W_k z_k + b_k), one layer after another
/// over contiguous arrays. Products run in the widest SIMD vectors that fit the width, the activation is the same
/// System.Numerics.Tensors call the DeepPCR host kernels make (<see cref="HostActivation.ApplyInPlace{T}"/>), the
/// forward pass keeps what the backward pass needs (the states, and in the residual form the branch's activations),
/// so the backward pass recomputes nothing, and when the work pays for it the batch is split over the host kernels'
/// threads (<see cref="DeepPcr.Linear.HostThreads.Limit"/> of them). Weights (L, w, w) row-major (row i maps to
/// output i), biases (L, w), states (B, w). One call at a time per instance.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed unsafe partial class FusedMlpLoop<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Multiply-adds in a whole pass (L B w (w + 8), the 8 standing for the activation) below which the
    /// batch is not split: waking the other threads costs a few microseconds.</summary>
    public const long MinParallelWork = 1 << 16;

    private readonly T[] rows;      // (L, w, w): W_k, read by the backward pass
    private readonly T[] columns;   // (L, w, w): W_k^T, read by the forward pass
    private readonly T[] biases;    // (L, w)
    private readonly T step;        // h; 1 in the plain form
    private FusedMlpTape<T>? scratch;
    private T[]? branchScratch;

    /// <summary>Copies the chain's parameters (as T) into flat arrays: z_{k+1} = act(W_k z_k + b_k).</summary>
    /// <exception cref="ArgumentException">T is neither float nor double.</exception>
    public FusedMlpLoop(MlpChain chain) : this(chain.Weights, chain.Biases, chain.Activation, null)
    {
    }

    private FusedMlpLoop(Tensor weights, Tensor biasTensor, Activation activation, double? stepScale)
    {
        var dtype = typeof(T) == typeof(float) ? ScalarType.Float32
            : typeof(T) == typeof(double) ? ScalarType.Float64
            : throw new ArgumentException($"The fused loop runs in float or double, not {typeof(T).Name}.");
        if (stepScale is not null && !HasSlopeFromValue(activation))
        {
            throw new ArgumentException($"The residual fused loop needs an activation whose slope follows from its value, not {activation.Name()}.");
        }
        Layers = (int)weights.size(0);
        Width = (int)weights.size(1);
        Activation = activation;
        StepScale = stepScale;
        step = T.CreateTruncating(stepScale ?? 1.0);
        using var w = weights.detach().to_type(dtype).contiguous();
        using var wt = w.transpose(1, 2).contiguous();
        using var b = biasTensor.detach().to_type(dtype).contiguous();
        rows = w.data<T>().ToArray();
        columns = wt.data<T>().ToArray();
        biases = b.data<T>().ToArray();
    }

    /// <summary>The residual chain's loop: z_{k+1} = z_k + h tanh(W_k z_k + b_k).</summary>
    public static FusedMlpLoop<T> Residual(ResidualChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return new FusedMlpLoop<T>(chain.Parameters[0], chain.Parameters[1], Activation.Tanh, chain.StepScale);
    }

    /// <summary>L.</summary>
    public int Layers { get; }

    /// <summary>w.</summary>
    public int Width { get; }

    /// <summary>The activation of every layer.</summary>
    public Activation Activation { get; }

    /// <summary>h of the residual form, or null for the plain MLP.</summary>
    public double? StepScale { get; }

    private bool IsResidual => StepScale is not null;

    /// <summary>Whether the backward pass reads act' from the saved branch values rather than from the states.</summary>
    private bool KeepsBranch => IsResidual || !HasSlopeFromValue(Activation);

    /// <summary>A tape for batches of <paramref name="batch"/> samples, to pass to <see cref="Forward(ReadOnlySpan{T}, FusedMlpTape{T})"/>.</summary>
    public FusedMlpTape<T> NewTape(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return new FusedMlpTape<T>(Layers, Width, batch, KeepsBranch);
    }

    /// <summary>Runs all layers on a batch (inference: nothing kept); input and output (B, w), B = input.Length / w.</summary>
    /// <exception cref="ArgumentException">Lengths that are not (B, w) for the same B &gt;= 1.</exception>
    public void Forward(ReadOnlySpan<T> input, Span<T> output)
    {
        int batch = BatchOf(input, nameof(input));
        if (output.Length != input.Length) throw new ArgumentException($"output must hold (B, w) = ({batch}, {Width}) values like input.", nameof(output));
        if (scratch is null || scratch.Batch != batch) scratch = new FusedMlpTape<T>(1, Width, batch, KeepsBranch);
        RunForward(input, scratch.States, scratch.Branch, batch, slots: 2);
        scratch.States.AsSpan((Layers % 2) * batch * Width, batch * Width).CopyTo(output);
    }

    /// <summary>
    /// Runs all layers and keeps every state (<see cref="FusedMlpTape{T}.States"/>, z_0 = input) and whatever else the
    /// backward pass reads.
    /// </summary>
    /// <param name="input">(B, w).</param>
    /// <param name="tape">From <see cref="NewTape"/> with the same B.</param>
    /// <exception cref="ArgumentException">An input of another batch size than the tape's.</exception>
    public void Forward(ReadOnlySpan<T> input, FusedMlpTape<T> tape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        int batch = BatchOf(input, nameof(input));
        if (tape.Batch != batch || tape.Layers != Layers || tape.Width != Width)
        {
            throw new ArgumentException($"The tape is for (L, B, w) = ({tape.Layers}, {tape.Batch}, {tape.Width}), the call for ({Layers}, {batch}, {Width}).", nameof(tape));
        }
        RunForward(input, tape.States, tape.Branch, batch, slots: Layers + 1);
    }

    /// <summary>
    /// Runs all layers and writes every state into memory the caller hands out, such as a new tensor's (what a
    /// sequential pass that returns all its states writes, as DeepPCR's solve returns them); nothing is kept for a
    /// backward pass.
    /// </summary>
    /// <param name="input">(B, w).</param>
    /// <param name="states">(L + 1, B, w), written: z_0 = input, then z_1..z_L.</param>
    /// <exception cref="ArgumentException">Lengths that are not (B, w) and (L + 1, B, w) for the same B &gt;= 1.</exception>
    public void ForwardStates(ReadOnlySpan<T> input, Span<T> states)
    {
        int batch = BatchOf(input, nameof(input));
        if (states.Length != (long)(Layers + 1) * batch * Width) throw new ArgumentException($"states must hold (L + 1, B, w) = ({Layers + 1}, {batch}, {Width}) values.", nameof(states));
        if (KeepsBranch && (branchScratch is null || branchScratch.Length != (long)Layers * batch * Width)) branchScratch = new T[(long)Layers * batch * Width];
        RunForward(input, states, KeepsBranch ? branchScratch! : [], batch, slots: Layers + 1);
    }

    /// <summary>
    /// The backward pass of sum(z_L * cotangent) from a forward pass's tape: walks the layers from L down to 1 with
    /// delta = h act'(W z + b) * lambda, dW = sum_b delta z^T, db = sum_b delta, and lambda = W^T delta (plus lambda in
    /// the residual form), act' read from the kept values.
    /// </summary>
    /// <param name="tape">Filled by <see cref="Forward(ReadOnlySpan{T}, FusedMlpTape{T})"/>.</param>
    /// <param name="cotangent">(B, w): dLoss/dz_L.</param>
    /// <param name="weightGradients">(L, w, w), overwritten.</param>
    /// <param name="biasGradients">(L, w), overwritten.</param>
    /// <param name="inputGradient">(B, w), overwritten.</param>
    /// <exception cref="ArgumentException">Lengths that do not fit the tape.</exception>
    public void Backward(FusedMlpTape<T> tape, ReadOnlySpan<T> cotangent, Span<T> weightGradients, Span<T> biasGradients, Span<T> inputGradient)
    {
        ArgumentNullException.ThrowIfNull(tape);
        long rowSize = (long)tape.Batch * Width;
        if (tape.Layers != Layers || tape.Width != Width || cotangent.Length != rowSize || inputGradient.Length != rowSize
            || weightGradients.Length != (long)Layers * Width * Width || biasGradients.Length != (long)Layers * Width)
        {
            throw new ArgumentException($"cotangent and inputGradient must hold (B, w) = ({tape.Batch}, {Width}) values, weightGradients (L, w, w) and biasGradients (L, w) for L = {Layers}.");
        }
        int parts = PartsFor(tape.Batch);
        if (parts > 1) tape.EnsurePartials(parts);
        fixed (T* states = tape.States, branch = tape.Branch, delta = tape.Delta, partials = tape.Partials, rowsOf = rows)
        fixed (T* g = cotangent, gw = weightGradients, gb = biasGradients, gx = inputGradient)
        {
            new FusedMlpBackward<T>
            {
                Layers = Layers, Width = Width, Batch = tape.Batch, Activation = Activation, Step = step, Residual = IsResidual,
                FromBranch = KeepsBranch, Rows = rowsOf, Start = states, States = states + rowSize, Branch = branch, Delta = delta, Cotangents = g,
                InputGradient = gx, WeightGradients = gw, BiasGradients = gb, Partials = partials,
            }.Run(parts);
        }
    }

    /// <summary>All layers from input into state slots (slot 0 = input; the state k + 1 in slot (k + 1) % slots).</summary>
    private void RunForward(ReadOnlySpan<T> input, Span<T> stateSlots, T[] branchSlots, int batch, int slots)
    {
        input.CopyTo(stateSlots);
        fixed (T* states = stateSlots, branch = branchSlots)
        {
            Run(new ForwardJob(this, batch, slots, states, branch), PartsFor(batch));
        }
    }

    /// <summary>
    /// The threads a pass over <paramref name="batch"/> samples runs on under the current
    /// <see cref="DeepPcr.Linear.HostThreads.Limit"/>: 1 below <see cref="MinParallelWork"/> or for one sample, else
    /// the limit (at most B: a share per thread).
    /// </summary>
    public int ThreadsFor(int batch) => ThreadsFor(Layers, Width, batch);

    /// <summary>The threads a fused pass over (L, B, w) = (<paramref name="layers"/>, <paramref name="batch"/>,
    /// <paramref name="width"/>) runs on under the current limit (see <see cref="ThreadsFor(int)"/>).</summary>
    public static int ThreadsFor(int layers, int width, int batch) => ThreadsFor(layers, width, batch, MinParallelWork);

    /// <summary>The threads a pass over (L, B, w) that splits its batch from <paramref name="minWork"/> = L B w (w + 8)
    /// runs on under the current limit: 1 below it or for one sample, else the limit (at most B).</summary>
    internal static int ThreadsFor(int layers, int width, int batch, long minWork)
    {
        long work = (long)layers * batch * width * (width + 8);
        return batch < 2 || work < minWork ? 1 : Math.Min(batch, HostTeam.Parts);
    }

    private int PartsFor(int batch) => ThreadsFor(batch) == 1 ? 1 : HostTeam.Parts;

    private static void Run<TJob>(TJob job, int parts) where TJob : ITeamJob
    {
        if (parts > 1) HostTeam.Run(job);
        else job.Run(0, 1);
    }

    private int BatchOf(ReadOnlySpan<T> input, string name)
    {
        if (input.Length == 0 || input.Length % Width != 0) throw new ArgumentException($"{name} must hold (B, w) values with w = {Width} and B >= 1 (it holds {input.Length}).", name);
        return input.Length / Width;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasSlopeFromValue(Activation activation) => HostActivation.TrySlopeFromValue(activation, T.Zero, out _);
}
