using DeepPcr.Chains;

namespace DeepPcr.Cli.Limits;

/// <summary>
/// One memory estimate per command family, computed in the command line from the arguments alone (the solver's
/// buffers are not asked for): states, Jacobians L*B*j (j = w^2 dense, w diagonal, 1 scalar, 0 for Picard and the sequential pass: a null structure) and the
/// PCR workspace (two ping-pong block buffers of the same size). The backward pass reuses the same sizes after the
/// forward pass has released its own, so the peak is that of one pass.
/// </summary>
public static class MemoryEstimates
{
    /// <summary>Numbers per step and sample of a Jacobian of the given structure and width.</summary>
    public static double JacobianEntries(JacobianStructure? structure, double width) => structure switch
    {
        JacobianStructure.Dense => width * width,
        JacobianStructure.Diagonal => width,
        JacobianStructure.Scalar => 1,
        _ => 0,
    };

    /// <summary>
    /// A deep-MLP chain (mlp, demo, bench mlp, bench solvers, run, make-model): weights L*w^2 and their float64
    /// reference copy, states (iterate, outputs, residuals, float64 reference: six L*B*w buffers), Jacobians and
    /// the PCR workspace.
    /// </summary>
    public static MemoryEstimate Mlp(string run, double layers, double width, double batch, int bytes, JacobianStructure? structure)
    {
        double blocks = layers * batch * JacobianEntries(structure, width);
        return new MemoryEstimate(run)
            .Add("weights L*w^2", layers * width * width, bytes)
            .Add("float64 reference weights L*w^2", layers * width * width, 8)
            .Add("states L*B*w", layers * batch * width, 8, copies: 6)
            .Add("Jacobians L*B*w^2", blocks, bytes)
            .Add("PCR workspace L*B*w^2", blocks, bytes, copies: 2);
    }

    /// <summary>
    /// DDPM sampling over T steps (sample diffusion, bench diffusion): the pre-drawn noise T*N*w, per chunk of
    /// samples the states, the denoiser's hidden activations T*chunk*H (kept for its Jacobians), the Jacobians
    /// T*chunk*j and the PCR workspace; float32.
    /// </summary>
    public static MemoryEstimate Diffusion(string run, double steps, double count, double chunk, double width, double hidden, JacobianStructure? structure)
    {
        double rows = steps * Math.Min(chunk, count);
        double blocks = rows * JacobianEntries(structure, width);
        return new MemoryEstimate(run)
            .Add("noise T*N*w", steps * count * width, 4)
            .Add("schedule T", steps, 8, copies: 6)
            .Add("states T*chunk*w", rows * width, 4, copies: 6)
            .Add("denoiser activations T*chunk*H", rows * hidden, 4, copies: 4)
            .Add("Jacobians T*chunk*w^2", blocks, 4)
            .Add("PCR workspace T*chunk*w^2", blocks, 4, copies: 2);
    }

    /// <summary>
    /// ResNet training (train resnet): the blocks' weights with Adam's two moments per solver, the autograd graph of
    /// the sequential pass (four L*B*w buffers), and DeepPCR's states, Jacobians L*B*w^2 and PCR workspace; float32.
    /// </summary>
    public static MemoryEstimate ResNet(string run, double depth, double width, double batch, int solvers)
    {
        double blocks = depth * batch * width * width;
        return new MemoryEstimate(run)
            .Add("weights and Adam moments L*w^2", depth * (width * width + width), 4, copies: 3 * Math.Max(1, solvers))
            .Add("states and graph L*B*w", depth * batch * width, 4, copies: 8)
            .Add("Jacobians L*B*w^2", blocks, 4)
            .Add("PCR workspace L*B*w^2", blocks, 4, copies: 2);
    }

    /// <summary>DDPM training (train diffusion): the schedule T, the denoiser's H*H weights with Adam and EMA copies, a batch's activations.</summary>
    public static MemoryEstimate DdpmTraining(string run, double steps, double hidden, double width, double batch) =>
        new MemoryEstimate(run)
            .Add("schedule T", steps, 8, copies: 6)
            .Add("denoiser weights H*(H+w)", hidden * (hidden + 2 * width), 4, copies: 4 * 2)
            .Add("activations batch*H", batch * hidden, 4, copies: 8);
}
