// The test seam: functional tests host the server in process through this type.
public partial class Program;
